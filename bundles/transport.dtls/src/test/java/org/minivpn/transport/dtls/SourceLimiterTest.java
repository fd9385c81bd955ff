package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-source table on its own: buckets, places in flight, IPv6 /64 grouping, its bound. No traffic is sent. */
class SourceLimiterTest {

    private static final HandshakeLimits LIMITS = new HandshakeLimits(4, 10, 20, Duration.ofSeconds(3));
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final DropCounters drops = new DropCounters();
    private final SourceLimiter limiter = new SourceLimiter(drops);

    @Test
    void theBucketRefillsAtTheRateUpToTheBurst() throws Exception {
        InetAddress a = InetAddress.getByName("198.18.70.2");
        long now = 1_000 * SECOND;
        for (int i = 0; i < 20; i++) {
            assertTrue(limiter.admit(a, now, LIMITS), "burst " + i);
            limiter.release(a);
        }
        assertFalse(limiter.admit(a, now, LIMITS));
        assertEquals(1, drops.rateLimited);
        assertTrue(limiter.admit(a, now + SECOND / 10, LIMITS), "one token after 100 ms at 10/s");
        limiter.release(a);
        assertFalse(limiter.admit(a, now + SECOND / 10, LIMITS));
        long later = now + 60 * SECOND; // a long quiet spell refills the burst, never more
        for (int i = 0; i < 20; i++) {
            assertTrue(limiter.admit(a, later, LIMITS));
            limiter.release(a);
        }
        assertFalse(limiter.admit(a, later, LIMITS));
    }

    @Test
    void aSourceHasAtMostItsPlacesInFlight() throws Exception {
        InetAddress a = InetAddress.getByName("198.18.70.2");
        long now = 1_000 * SECOND;
        for (int i = 0; i < 4; i++) {
            assertTrue(limiter.admit(a, now, LIMITS));
        }
        assertFalse(limiter.admit(a, now, LIMITS));
        assertEquals(1, drops.sourceLimited);
        assertEquals(4, limiter.inFlight(a));
        limiter.release(a);
        assertTrue(limiter.admit(a, now, LIMITS), "a place given back is taken again");
        assertTrue(limiter.admit(InetAddress.getByName("198.18.70.3"), now, LIMITS), "another address has its own");
    }

    @Test
    void anIpv6SourceIsItsSlash64() throws Exception {
        long now = 1_000 * SECOND;
        for (int i = 1; i <= 4; i++) {
            assertTrue(limiter.admit(InetAddress.getByName("2001:db8:1:2::" + i), now, LIMITS));
        }
        assertFalse(limiter.admit(InetAddress.getByName("2001:db8:1:2:ffff::9"), now, LIMITS), "the same /64");
        assertTrue(limiter.admit(InetAddress.getByName("2001:db8:1:3::1"), now, LIMITS), "the next /64");
        assertEquals(2, limiter.size());
    }

    @Test
    void theTableIsBoundedAndForgetsQuietSources() throws Exception {
        long now = 1_000 * SECOND;
        for (int i = 0; i < SourceLimiter.MAX_SOURCES; i++) {
            InetAddress a = InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) (i >> 8), (byte) i});
            assertTrue(limiter.admit(a, now, LIMITS));
            limiter.release(a);
        }
        assertFalse(limiter.admit(InetAddress.getByName("198.19.0.1"), now, LIMITS), "a new source when full");
        assertEquals(SourceLimiter.MAX_SOURCES, limiter.size());
        InetAddress busy = InetAddress.getByName("198.18.0.1");
        assertTrue(limiter.admit(busy, now, LIMITS));
        limiter.tick(now + SECOND / 20, LIMITS);
        assertEquals(SourceLimiter.MAX_SOURCES, limiter.size(), "buckets not yet full again");
        limiter.tick(now + 3 * SECOND, LIMITS);
        assertEquals(1, limiter.size(), "only the source with a handshake in flight is kept");
        assertEquals(1, limiter.inFlight(busy));
        assertTrue(limiter.admit(InetAddress.getByName("198.19.0.1"), now + 3 * SECOND, LIMITS));
    }
}

package org.minivpn.net.udp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Offload is given up for one destination on its own errors, for the socket only on proof. */
class OffloadFallbackTest {

    private static final int ENETUNREACH = 101;
    private static final int EMSGSIZE = 90;
    private final InetSocketAddress alice = new InetSocketAddress("198.18.90.2", 40000);
    private final InetSocketAddress bob = new InetSocketAddress("198.18.90.3", 40000);

    @Test
    void anUnreachableDestinationLosesOffloadForAWhileAndNobodyElseDoes() {
        OffloadFallback f = new OffloadFallback();
        long now = 1_000;
        assertTrue(f.mayTry(alice, now));
        assertFalse(f.failed(alice, ENETUNREACH, now), "one destination's error keeps the socket's offload");
        assertFalse(f.mayTry(alice, now + 1));
        assertTrue(f.mayTry(bob, now + 1), "other destinations keep offload");
        assertTrue(f.mayTry(alice, now + OffloadFallback.RETRY_NANOS), "tried again later");
        assertFalse(f.failed(null, EMSGSIZE, now), "a connected socket's peer is held back the same way");
        assertFalse(f.mayTry(null, now + 1));
        assertFalse(f.disabled());
    }

    @Test
    void errorsThatProveTheSocketCannotSegmentTurnItOff() {
        for (int errno : new int[] {OffloadFallback.EIO, OffloadFallback.ENOPROTOOPT, OffloadFallback.EOPNOTSUPP}) {
            OffloadFallback f = new OffloadFallback();
            assertTrue(f.failed(alice, errno, 0));
            assertFalse(f.mayTry(bob, 0));
            assertTrue(f.disabled());
        }
    }

    @Test
    void theTableOfHeldDestinationsStaysBounded() throws Exception {
        OffloadFallback f = new OffloadFallback();
        for (int i = 0; i < OffloadFallback.MAX_HELD + 50; i++) {
            f.failed(new InetSocketAddress("198.18.0.1", 1024 + i), ENETUNREACH, i);
        }
        var field = OffloadFallback.class.getDeclaredField("heldUntil");
        field.setAccessible(true);
        assertTrue(((java.util.Map<?, ?>) field.get(f)).size() <= OffloadFallback.MAX_HELD);
        assertTrue(f.mayTry(new InetSocketAddress("198.18.0.1", 1024), OffloadFallback.MAX_HELD), "the oldest was forgotten");
    }
}

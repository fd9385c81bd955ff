package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;

/**
 * {@link ServerControl#housekeeping}, which visits only the peers that are due, on a clock the test
 * moves: pings every keepalive (10 s), drops after the timeout (60 s) or, for a plain peer, the plain
 * timeout (180 s), and forgets the peers that left.
 */
class HousekeepingTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long ROUND = SECOND / 2; // housekeepingEveryNanos with a 10 s keepalive

    private final ServerSettings settings = TestServers.settings("10.64.0.0/18");
    private final AddressPool<ServerPeer> pool = new AddressPool<>(settings.pool4(), null, Map.of(),
            settings.addressQuarantine(), System::nanoTime);
    private final Admission admission = new Admission(pool, settings, () -> { });
    private final ServerControl control = new ServerControl(admission, settings);
    private long now = 1_000 * SECOND;

    /** A session that counts the PINGs sent to it. */
    private static final class Pinged extends StubSession {
        volatile int pings;

        Pinged(String identity, int port) {
            super(identity, port);
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            if (len > 0 && buf[off] == Wire.PING) {
                pings++;
            }
        }
    }

    private ServerPeer open(String identity, int port, boolean hello) {
        Pinged s = new Pinged(identity, port);
        ServerPeer p = new ServerPeer(s);
        p.lastSeenNanos = now;
        s.attach(p);
        admission.opened(p);
        if (hello) {
            byte[] h = Wire.hello();
            control.received(p, h, 0, h.length);
        }
        return p;
    }

    private static int pings(ServerPeer p) {
        return ((Pinged) p.session).pings;
    }

    /** Runs housekeeping every half second for {@code seconds}. */
    private void run(double seconds) {
        long end = now + (long) (seconds * SECOND);
        while (now - end < 0) {
            now += ROUND;
            control.housekeeping(now);
        }
    }

    @Test
    void aClientIsPingedEveryKeepaliveAndDroppedAfterTheTimeoutOfSilence() {
        ServerPeer p = open("alice", 1, true);
        run(0.5);
        assertEquals(1, pings(p), "the first ping at the first round after its address");
        run(9.5);
        assertEquals(1, pings(p), "not again within the keepalive");
        run(0.5);
        assertEquals(2, pings(p), "again after 10 s");
        run(49);
        assertTrue(admission.admits(p), "59.5 s of silence is within the timeout");
        run(1.5);
        assertFalse(admission.admits(p), "silent for more than 60 s: dropped");
        assertFalse(p.session.isOpen());
        assertEquals(6, pings(p), "at 0.5, 10.5 ... 50.5 s; at 60.5 s it is dropped instead");
        run(20);
        assertEquals(0, control.scheduled(), "nothing is left filed");
    }

    @Test
    void aClientHeardFromSinceItsDeadlineWasFiledIsFiledAgainNotDropped() {
        ServerPeer p = open("alice", 1, true);
        for (int i = 0; i < 20; i++) {
            run(30);
            p.lastSeenNanos = now; // it answers now and then
        }
        assertTrue(admission.admits(p), "ten minutes, never silent for 60 s");
        assertEquals(60, pings(p), "one ping each 10 s");
        assertEquals(1, control.scheduled());
    }

    @Test
    void aPlainPeerIsNeverPingedAndDroppedAfterThePlainTimeout() {
        ServerPeer plain = open("orig", 1, false);
        assertTrue(admission.assignPlain(plain, AddressPool.toInt(IpPrefix.parseAddress("10.64.0.9"))));
        run(179.5);
        assertTrue(admission.admits(plain), "a plain peer outlives the 60 s timeout");
        assertEquals(0, pings(plain));
        run(1);
        assertFalse(admission.admits(plain), "dropped after 180 s without data");
    }

    @Test
    void aPlainPeerThatSaysHelloIsPingedWithinAKeepalive() {
        ServerPeer p = open("late", 1, false);
        assertTrue(admission.assignPlain(p, AddressPool.toInt(IpPrefix.parseAddress("10.64.0.9"))));
        run(3);
        byte[] h = Wire.hello();
        control.received(p, h, 0, h.length);
        run(10);
        assertEquals(1, pings(p), "its state changed with no deadline of its own: seen within 10 s");
        run(60);
        assertFalse(admission.admits(p), "and the 60 s timeout of a client that said hello applies");
    }

    @Test
    void thousandsOfPeersAreEachPingedOnceAKeepaliveAndThoseThatLeftAreForgotten() {
        List<ServerPeer> peers = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            peers.add(open("c" + i, 1 + i, true));
            if (i % 500 == 0) {
                now += ROUND;
                control.housekeeping(now); // they arrive over a few seconds
            }
        }
        run(1);
        for (int i = 0; i < peers.size(); i += 2) {
            admission.closed(peers.get(i), "goodbye");
        }
        for (int i = 0; i < peers.size(); i += 2) {
            assertTrue(peers.get(i).deadline.forgotten(), "c" + i + " left: housekeeping holds its session no longer");
        }
        run(10);
        assertEquals(2500, control.scheduled(), "the places of the peers that left are gone too");
        for (ServerPeer p : peers) {
            p.lastSeenNanos = now;
        }
        run(40);
        for (int i = 1; i < peers.size(); i += 2) {
            assertEquals(6, pings(peers.get(i)), "c" + i + ": once a keepalive over 51 s, the first one at once");
        }
        run(61);
        assertEquals(0, control.scheduled(), "all silent: all dropped, none left filed");
        assertTrue(admission.peers().isEmpty());
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.minivpn.api.transport.Session;
import org.minivpn.tls.trust.PeerInfo;

/** The server's session tables with thousands of sessions: the snapshot readers see, and the idle order. */
class PeersTest {

    private static final long SECOND = 1_000_000_000L;

    /** Sessions that are never sent on: they share one record layer. */
    static final class Sessions {
        private final RecordLayer record;
        private final SessionKeys keys;

        Sessions() throws Exception {
            keys = new SessionKeys(org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    CipherSuites.Aead.AES_128_GCM, new byte[16], new byte[4], new byte[16], new byte[4],
                    new byte[8], new byte[8], new PeerInfo("client", List.of()));
            record = new RecordLayer(keys, Backends.byName("jca").provider(), 0);
        }

        ServerSession session(int i, long cid) {
            InetSocketAddress from = new InetSocketAddress("198.18.0.2", 1024 + i % 60_000);
            return new ServerSession(null, from, keys, record, null, cid, 1400);
        }
    }

    @Test
    void aReaderSeesEveryChangeAndTheSameCopyWhileNothingChanges() throws Exception {
        Sessions make = new Sessions();
        Peers peers = new Peers();
        ServerSession a = make.session(1, 11);
        ServerSession b = make.session(2, 12);
        peers.add(a);
        peers.add(b);
        List<Session> first = peers.snapshot();
        assertEquals(Set.of(a, b), new HashSet<>(first));
        assertSame(first, peers.snapshot(), "no change, no copy");
        peers.remove(a);
        assertEquals(List.of(b), peers.snapshot());
        peers.unfile(b);
        assertEquals(List.of(b), peers.snapshot(), "an unfiled session is still one of the server's");
        assertSame(b, peers.byConnectionId(12));
        peers.clear();
        assertEquals(List.of(), peers.snapshot());
    }

    @Test
    void anotherThreadReadsWhileTheReceiveThreadAddsAndRemovesThousands() throws Exception {
        Sessions make = new Sessions();
        Peers peers = new Peers();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    for (Session s : peers.snapshot()) {
                        if (s == null) {
                            throw new AssertionError("a null session in the snapshot");
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "snapshot-reader");
        reader.start();
        List<ServerSession> all = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                ServerSession s = make.session(i, 100 + i);
                peers.add(s);
                all.add(s);
                if (i % 3 == 0) {
                    peers.remove(all.get(i / 2));
                }
            }
        } finally {
            reader.interrupt();
            reader.join(10_000);
        }
        assertNull(failure.get(), () -> "the reader failed: " + failure.get());
        Set<ServerSession> expected = new HashSet<>(all);
        for (int i = 0; i < 10_000; i += 3) {
            expected.remove(all.get(i / 2));
        }
        assertEquals(expected, new HashSet<>(peers.snapshot()), "the last snapshot has every change");
        assertEquals(expected.size(), peers.filedForIdle());
    }

    @Test
    void theIdleCheckFindsExactlyTheIdleSessionsLongestSilentFirstAndForgetsRemovedOnes() throws Exception {
        Sessions make = new Sessions();
        Peers peers = new Peers();
        long t0 = 1_000 * SECOND;
        List<ServerSession> all = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            ServerSession s = make.session(i, 100 + i);
            s.lastReceive = t0 + (i * 7919L % 5000) * (SECOND / 100); // heard from over 50 s, in no order
            peers.add(s);
            all.add(s);
        }
        for (int i = 0; i < 5000; i += 2) {
            all.get(i).lastReceive += 100 * SECOND; // heard from since they were filed
        }
        long idle = 180 * SECOND;
        long now = t0 + idle + 25 * SECOND; // the sessions last heard before t0 + 25 s are idle
        long previous = Long.MIN_VALUE;
        int ended = 0;
        for (ServerSession s = peers.nextIdle(now, idle); s != null; s = peers.nextIdle(now, idle)) {
            assertTrue(now - s.lastReceive > idle, "only idle sessions");
            assertTrue(s.lastReceive >= previous, "longest silent first");
            previous = s.lastReceive;
            peers.remove(s);
            ended++;
        }
        int expected = 0;
        for (ServerSession s : all) {
            expected += now - s.lastReceive > idle ? 1 : 0;
        }
        assertEquals(expected, ended, "every idle session and no other");
        assertTrue(ended > 1000 && ended < 1500, "about half of the silent half: " + ended);
        assertEquals(5000 - ended, peers.filedForIdle(), "an ended session leaves the idle order at once");
        for (ServerSession s : all) {
            peers.remove(s);
        }
        assertEquals(0, peers.filedForIdle(), "nothing left filed");
        assertNull(peers.nextIdle(now + 1000 * SECOND, idle));
    }
}

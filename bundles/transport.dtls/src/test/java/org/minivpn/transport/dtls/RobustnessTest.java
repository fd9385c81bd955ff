package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DatagramTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/** Many clients on one socket; garbage, replays, stalls and losses dropped, counted, survived. */
class RobustnessTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    Path pkiDir;

    private TestPki pki;
    private DtlsTransport serverSide;
    private DtlsTransport clientSide;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        clientSide.deactivate();
        if (serverSide != null) {
            serverSide.deactivate();
        }
    }

    private DtlsServer listen(DtlsSettings settings, Inbox handler) throws IOException {
        serverSide = Backends.transport(settings, Backends.jca());
        return (DtlsServer) serverSide.listen(LOOPBACK, handler);
    }

    @Test
    void manyClientsShareOneServerSocket() throws Exception {
        int clients = 24;
        for (int i = 0; i < clients; i++) {
            pki.issue("client" + i, TestPki.Usage.CLIENT, false);
        }
        Inbox serverInbox = Inbox.echoing();
        // All clients come from 127.0.0.1: lift the per-source limits, as for clients behind one NAT address.
        DtlsSettings settings = pki.settings("server").with(new HandshakeLimits(clients, 1000, clients, Duration.ofSeconds(3)));
        try (TransportServer server = listen(settings, serverInbox)) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String name = "client" + i;
                results.add(threads.submit(() -> {
                    DtlsTransport t = Backends.transport(pki.settings(name), Backends.jca());
                    try {
                        Inbox inbox = Inbox.collecting();
                        Session s = t.connect(server.localAddress(), "localhost", inbox, WAIT);
                        for (int k = 0; k < 20; k++) {
                            byte[] p = (name + " " + k).getBytes(StandardCharsets.US_ASCII);
                            s.send(p, 0, p.length);
                            assertArrayEquals(p, inbox.next(WAIT));
                        }
                        return s.peerIdentity();
                    } finally {
                        t.deactivate();
                    }
                }));
            }
            Set<String> seen = new HashSet<>();
            for (Future<String> r : results) {
                assertEquals("server", r.get(60, TimeUnit.SECONDS));
            }
            for (int i = 0; i < clients; i++) {
                seen.add(serverInbox.openedSession(WAIT).peerIdentity());
            }
            assertEquals(clients, seen.size(), "each client got its own session");
            assertEquals(clients, ((DtlsServer) server).drops.handshakes);
            assertEquals(0, ((DtlsServer) server).drops.badInput(), server.toString());
            waitFor(() -> server.sessions().isEmpty(), "every client closed its session");
        }
    }

    @Test
    void garbageReplaysAndForgeriesAreDroppedAndCounted() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (DtlsServer server = listen(pki.settings("server"), serverInbox);
                UdpProxy nat = new UdpProxy(server.localAddress());
                DatagramSocket stranger = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Inbox clientInbox = Inbox.collecting();
            Session client = clientSide.connect(nat.address(), "localhost", clientInbox, WAIT);
            ping(client, clientInbox, "hello");
            byte[] record = lastApplicationRecord(nat);

            Random random = new Random(42);
            byte[] noise = new byte[300];
            for (int i = 0; i < 20; i++) {
                random.nextBytes(noise);
                noise[0] = 23;
                stranger.send(new DatagramPacket(noise, noise.length, server.localAddress()));
            }
            stranger.send(new DatagramPacket(new byte[5], 5, server.localAddress()));
            byte[] unknownCid = record.clone();
            unknownCid[11] ^= 0x55;
            stranger.send(new DatagramPacket(unknownCid, unknownCid.length, server.localAddress()));

            nat.inject(record);                                            // replayed
            byte[] flipped = record.clone();
            flipped[flipped.length - 3] ^= 1;
            flipped[10] += 100;                                            // a fresh sequence number, a broken tag
            nat.inject(flipped);                                           // forged
            nat.inject(java.util.Arrays.copyOf(record, record.length - 7)); // truncated
            byte[] oversized = new byte[20_000];
            System.arraycopy(record, 0, oversized, 0, 21);
            oversized[19] = (byte) 0xFF; // the length field, after the 8-byte connection ID
            oversized[20] = (byte) 0xFF;
            nat.inject(oversized);                                         // oversized

            ping(client, clientInbox, "still alive");
            DropCounters d = server.drops;
            waitFor(() -> d.unknownPeer >= 21 && d.malformed >= 2 && d.replayed >= 1 && d.forged >= 1
                    && d.oversized >= 1, "all counted: " + d);
            assertEquals(1, d.handshakes);
            assertEquals(1, server.sessions().size());
            assertTrue(serverInbox.closed.isEmpty(), "the session survived");
        }
    }

    @Test
    void aStalledHandshakeTimesOutAndFreesItsSlot() throws Exception {
        DtlsSettings settings = pki.settings("server");
        settings = new DtlsSettings(settings.ca(), settings.cert(), settings.key(), settings.crl(), List.of(),
                Duration.ofSeconds(1), 1, 1, Duration.ofSeconds(60), 1500);
        Inbox serverInbox = Inbox.echoing();
        try (LogCapture log = new LogCapture(); DtlsServer server = listen(settings, serverInbox);
                DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.connect(server.localAddress());
            // A client that sends ClientHello, echoes the cookie, then falls silent.
            Future<?> staller = threads.submit(() -> {
                CryptoState crypto = CryptoState.of(Backends.jca());
                ClientPeer peer = new ClientPeer(crypto, Credentials.load(pki.settings("alice").trust()), null, List.of(), 3000);
                return new DTLSClientProtocol().connect(peer, new GoesSilent(new BcDatagramSocket(socket), 2));
            });
            waitFor(() -> server.drops.cookies >= 1, "the staller got its cookie");
            Inbox clientInbox = Inbox.collecting();
            Session client = clientSide.connect(server.localAddress(), "localhost", clientInbox, WAIT);
            ping(client, clientInbox, "after the stall");
            assertTrue(server.drops.handshakeTimeouts >= 1, server.toString());
            assertNotNull(log.await("timed out", WAIT));
            assertThrows(Exception.class, () -> staller.get(10, TimeUnit.SECONDS));
        }
    }

    /** True when one of the DTLS records packed in datagram {@code d} is of epoch 1. */
    private static boolean holdsEpochOne(byte[] d) {
        for (int at = 0; at + 13 <= d.length; at += 13 + (((d[at + 11] & 0xff) << 8) | (d[at + 12] & 0xff))) {
            if (d[at + 3] == 0 && d[at + 4] == 1) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aLostFinalFlightIsResent() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (DtlsServer server = listen(pki.settings("server"), serverInbox);
                UdpProxy nat = new UdpProxy(server.localAddress())) {
            AtomicBoolean dropped = new AtomicBoolean();
            // Drop the server's first datagram that holds an epoch-1 record, its Finished (packed behind
            // its change cipher spec: Flight).
            nat.dropToClient = d -> holdsEpochOne(d) && dropped.compareAndSet(false, true);
            Inbox clientInbox = Inbox.collecting();
            Session client = clientSide.connect(nat.address(), "localhost", clientInbox, WAIT);
            assertTrue(dropped.get(), "the Finished was dropped");
            ping(client, clientInbox, "after the resend");
            assertEquals(1, server.drops.handshakes);
        }
    }

    @Test
    void aClientThatRestartsOnTheSamePortGetsAFreshSession() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (DtlsServer server = listen(pki.settings("server"), serverInbox)) {
            int port;
            try (DatagramSocket first = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = first.getLocalPort();
                echoOnce(first, server, "before the crash");
            } // gone without a close_notify, as a crashed client would be
            try (DatagramSocket second = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                echoOnce(second, server, "after the restart");
            }
            assertEquals("replaced by a new handshake of the same client", serverInbox.closedReason(WAIT));
            assertEquals(2, server.drops.handshakes);
            assertEquals(1, server.sessions().size());
        }
    }

    /** A Bouncy Castle client on {@code socket}: handshake, one record, its echo. */
    private void echoOnce(DatagramSocket socket, DtlsServer server, String text) throws Exception {
        socket.connect(server.localAddress());
        ClientPeer peer = new ClientPeer(CryptoState.of(Backends.jca()), Credentials.load(pki.settings("alice").trust()), null,
                List.of(), 5000);
        var dtls = new DTLSClientProtocol().connect(peer, new BcDatagramSocket(socket));
        byte[] p = text.getBytes(StandardCharsets.US_ASCII);
        dtls.send(p, 0, p.length);
        byte[] buf = new byte[100];
        int n = dtls.receive(buf, 0, buf.length, 5000);
        assertArrayEquals(p, java.util.Arrays.copyOf(buf, Math.max(0, n)));
    }

    @Test
    void anIdleSessionIsClosedOnBothSides() throws Exception {
        DtlsSettings settings = pki.settings("server");
        settings = new DtlsSettings(settings.ca(), settings.cert(), settings.key(), settings.crl(), List.of(),
                Duration.ofSeconds(5), 1, 8, Duration.ofMillis(600), 1500);
        Inbox serverInbox = Inbox.echoing();
        try (DtlsServer server = listen(settings, serverInbox)) {
            Inbox clientInbox = Inbox.collecting();
            Session client = clientSide.connect(server.localAddress(), "localhost", clientInbox, WAIT);
            ping(client, clientInbox, "once");
            assertTrue(serverInbox.closedReason(WAIT).startsWith("no packets from the client"));
            assertEquals("the server closed the session", clientInbox.closedReason(WAIT));
            assertTrue(!client.isOpen());
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> client.send(new byte[1], 0, 1));
        }
    }

    @Test
    void aPacketLargerThanTheLimitIsRefusedWithAdvice() throws Exception {
        try (DtlsServer server = listen(pki.settings("server"), Inbox.echoing())) {
            Session client = clientSide.connect(server.localAddress(), "localhost", Inbox.collecting(), WAIT);
            IOException e = assertThrows(IOException.class, () -> client.send(new byte[1501], 0, 1501));
            assertTrue(e.getMessage().contains("max.packet.size"), e.getMessage());
            client.close();
        }
    }

    private static void ping(Session client, Inbox inbox, String text) throws Exception {
        byte[] p = text.getBytes(StandardCharsets.US_ASCII);
        client.send(p, 0, p.length);
        assertArrayEquals(p, inbox.next(WAIT));
    }

    /** The last record the client sent: an application record with a connection ID. */
    private static byte[] lastApplicationRecord(UdpProxy nat) {
        byte[] last = nat.toServer.get(nat.toServer.size() - 1);
        assertEquals(RecordLayer.TLS12_CID, last[0] & 0xFF);
        return last;
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Passes the first {@code sends} datagrams, then swallows everything: a peer that stalls. */
    private static final class GoesSilent implements DatagramTransport {
        private final DatagramTransport inner;
        private int sends;

        GoesSilent(DatagramTransport inner, int sends) {
            this.inner = inner;
            this.sends = sends;
        }

        @Override
        public int getReceiveLimit() throws IOException {
            return inner.getReceiveLimit();
        }

        @Override
        public int getSendLimit() throws IOException {
            return inner.getSendLimit();
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            return sends > 0 ? inner.receive(buf, off, len, waitMillis) : -1;
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            if (sends-- > 0) {
                inner.send(buf, off, len);
            }
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/** Handshakes and data both ways over loopback UDP, for each backend and key type. */
class HandshakeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @AfterEach
    void stop() {
        if (clientSide != null) {
            clientSide.deactivate();
        }
        if (serverSide != null) {
            serverSide.deactivate();
        }
    }

    @ParameterizedTest(name = "{0} backend, {1} keys")
    @CsvSource({"jca, EC", "jca, RSA", "bc, EC", "bc, RSA"})
    void handshakeThenDataBothWays(String backend, String keyType) throws Exception {
        boolean rsa = keyType.equals("RSA");
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, rsa, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, rsa);
        serverSide = Backends.transport(pki.settings("server"), Backends.byName(backend));
        clientSide = Backends.transport(pki.settings("alice"), Backends.byName(backend));

        Inbox serverInbox = Inbox.echoing();
        Inbox clientInbox = Inbox.collecting();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox)) {
            Session client = clientSide.connect(server.localAddress(), "localhost", clientInbox, WAIT);
            Session atServer = serverInbox.openedSession(WAIT);
            assertEquals("alice", atServer.peerIdentity());
            assertEquals("server", client.peerIdentity());
            String suite = "TLS_ECDHE_" + (rsa ? "RSA" : "ECDSA") + "_WITH_AES_128_GCM_SHA256";
            assertEquals(suite, client.cipherSuite());
            assertEquals(suite, atServer.cipherSuite());
            assertEquals(client, clientInbox.openedSession(WAIT), "the client handler saw the session open");
            assertEquals(backend, client.cryptoBackend(), "the client session names the backend it was made with");
            assertEquals(1L, server.counters().get(TransportServer.HANDSHAKES + "ok"), "the listener counted the handshake");
            assertEquals(0L, server.counters().get(TransportServer.HANDSHAKES + "failed"));
            assertEquals(0L, server.counters().get(TransportServer.DROPPED + "forged"));

            for (int i = 0; i < 50; i++) {
                byte[] packet = ("packet " + i).getBytes(StandardCharsets.US_ASCII);
                client.send(packet, 0, packet.length);
                assertArrayEquals(packet, clientInbox.next(WAIT), "echo of packet " + i);
            }
            byte[] big = new byte[client.maxPacketSize()];
            big[0] = 0x45;
            big[big.length - 1] = 7;
            client.send(big, 0, big.length);
            assertArrayEquals(big, clientInbox.next(WAIT), "a packet of the largest size");
            assertEquals(1, server.sessions().size());

            client.close();
            assertFalse(client.isOpen());
            assertEquals("the client closed the session", serverInbox.closedReason(WAIT));
            assertEquals("closed by this client", clientInbox.closedReason(WAIT));
            assertTrue(server.sessions().isEmpty(), "the server forgot the session");
        }
    }

    @Test
    void recordsHeldBySendMoreArriveWholeAndInOrderBothWays() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        Inbox serverInbox = Inbox.collecting();
        Inbox clientInbox = Inbox.collecting();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox)) {
            Session client = clientSide.connect(server.localAddress(), "localhost", clientInbox, WAIT);
            Session atServer = serverInbox.openedSession(WAIT);
            assertTrue(((DtlsClientSession) client).offloads(), "UDP segmentation offload is off: it needs Linux 4.18"
                    + " or later, JNA, and --add-exports java.base/sun.nio.ch=ALL-UNNAMED (the surefire argLine)");
            sendInBatches(client, serverInbox);
            sendInBatches(atServer, clientInbox);
            client.close();
        }
    }

    /**
     * Runs of equal sizes, a shorter one closing a run, a longer one starting the next, more than one
     * batch holds; then a plain send, or a flush, pushes out what is held. All must arrive in order.
     */
    private static void sendInBatches(Session from, Inbox to) throws Exception {
        int[] sizes = new int[150];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = i % 23 == 22 ? 700 : i < 100 ? 1400 : 1000 + i;
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < sizes.length; i++) {
                byte[] p = new byte[sizes[i]];
                p[0] = (byte) round;
                p[1] = (byte) i;
                p[p.length - 1] = (byte) (i * 7);
                if (i == sizes.length - 1 && round == 0) {
                    from.send(p, 0, p.length);
                } else {
                    from.sendMore(p, 0, p.length);
                }
            }
            if (round == 1) {
                from.flush();
            }
            for (int i = 0; i < sizes.length; i++) {
                byte[] got = to.next(WAIT);
                assertEquals(sizes[i], got.length, "length of packet " + i + " of round " + round);
                assertEquals(round, got[0]);
                assertEquals((byte) i, got[1], "order");
                assertEquals((byte) (i * 7), got[got.length - 1]);
            }
        }
    }

    @Test
    void noServerOrASilentOneFailsWithinTheTimeoutAndSaysWhy() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        PortUnreachableException nobody = assertThrows(PortUnreachableException.class, () -> clientSide.connect(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), null, Inbox.collecting(), WAIT));
        assertTrue(nobody.getMessage().startsWith("nothing listens on UDP"), nobody.getMessage());

        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            SocketTimeoutException timeout = assertThrows(SocketTimeoutException.class, () -> clientSide.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), null,
                    Inbox.collecting(), Duration.ofMillis(1500)));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(timeout.getMessage().contains("is a MiniVPN server listening"), timeout.getMessage());
            assertTrue(tookMillis >= 1400 && tookMillis < 5000, "gave up after " + tookMillis + " ms");
        }
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/**
 * Our {@link RecordLayer} against Bouncy Castle's own DTLS record layer, with RFC 9146 connection
 * IDs: records we seal must open there and the other way round, so the two implementations agree
 * on the wire format, nonces and additional data.
 */
class BouncyCastleRecordsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private TestPki pki;
    private DtlsTransport ours;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void pki() throws Exception {
        pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        if (ours != null) {
            ours.deactivate();
        }
    }

    @Test
    void bouncyCastleClientRecordsWithConnectionIdOpenAtOurServer() throws Exception {
        ours = Backends.transport(pki.settings("server"), Backends.jca());
        Inbox serverInbox = Inbox.echoing();
        try (TransportServer server = ours.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.connect(server.localAddress());
            CryptoState crypto = CryptoState.of(Backends.jca());
            ClientPeer peer = new ClientPeer(crypto, Credentials.load(pki.settings("alice").trust()), "localhost", java.util.List.of(), 10_000);
            DTLSTransport bc = new DTLSClientProtocol().connect(peer, new BcDatagramSocket(socket));
            assertTrue(peer.keys().writeCid().length > 0, "the server gave the client a connection ID");

            byte[] buf = new byte[2000];
            for (int i = 0; i < 20; i++) {
                byte[] packet = ("bc client record " + i).getBytes(StandardCharsets.US_ASCII);
                bc.send(packet, 0, packet.length);
                int n = bc.receive(buf, 0, buf.length, 5000);
                assertArrayEquals(packet, Arrays.copyOf(buf, Math.max(n, 0)), "echo " + i + " opened by Bouncy Castle");
            }
            assertEquals("alice", serverInbox.openedSession(WAIT).peerIdentity());
            assertEquals(0, ((DtlsServer) server).drops.badInput(), "nothing dropped: " + server);
        }
    }

    @Test
    void ourClientRecordsWithConnectionIdOpenAtBouncyCastleServer() throws Exception {
        ours = Backends.transport(pki.settings("alice"), Backends.jca());
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            CryptoState crypto = CryptoState.of(Backends.jca());
            ServerPeer peer = new ServerPeer(crypto, Credentials.load(pki.settings("server").trust()),
                    new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 10_000);
            AtomicInteger echoes = new AtomicInteger();
            Future<?> server = threads.submit(() -> {
                DTLSServerProtocol protocol = new DTLSServerProtocol();
                protocol.setVerifyRequests(false);
                DTLSTransport bc = protocol.accept(peer, new BcDatagramSocket(socket));
                byte[] buf = new byte[2000];
                // Ends when our close_notify makes Bouncy Castle close its socket.
                for (int n; !socket.isClosed() && (n = bc.receive(buf, 0, buf.length, 3000)) >= 0; ) {
                    echoes.incrementAndGet();
                    bc.send(buf, 0, n);
                }
                return null;
            });
            Inbox clientInbox = Inbox.collecting();
            Session client = ours.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort()),
                    "localhost", clientInbox, WAIT);
            for (int i = 0; i < 20; i++) {
                byte[] packet = ("our client record " + i).getBytes(StandardCharsets.US_ASCII);
                client.send(packet, 0, packet.length);
                assertArrayEquals(packet, clientInbox.next(WAIT), "echo " + i + " opened by our record layer");
            }
            assertEquals(20, echoes.get(), "Bouncy Castle opened every record of ours");
            client.close();
            try {
                server.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertTrue(socket.isClosed(), "Bouncy Castle read our close_notify and closed: " + e.getCause());
            }
            assertTrue(socket.isClosed(), "Bouncy Castle read our close_notify and closed");
        }
    }
}

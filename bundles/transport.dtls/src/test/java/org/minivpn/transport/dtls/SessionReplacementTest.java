package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/**
 * A new handshake from the address of a live session (RFC 6347 4.2.8): the session lives until
 * the new one authenticates; then the same client's is replaced, and another client's is left to
 * its idle timeout. A replayed ClientHello changes nothing.
 */
class SessionReplacementTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private TestPki pki;
    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        pki.issue("bob", TestPki.Usage.CLIENT, false);
    }

    @AfterEach
    void stop() {
        if (clientSide != null) {
            clientSide.deactivate();
        }
        if (serverSide != null) {
            serverSide.deactivate();
        }
    }

    private DtlsServer listen(Duration handshakeTimeout, Duration idle, SessionHandler handler) throws Exception {
        DtlsSettings s = pki.settings("server");
        DtlsSettings settings = new DtlsSettings(s.ca(), s.cert(), s.key(), s.crl(), List.of(), handshakeTimeout, 1, 64,
                idle, 1500);
        serverSide = Backends.transport(settings, Backends.jca());
        return (DtlsServer) serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), handler);
    }

    @Test
    void aReplayedClientHelloLeavesTheLiveSessionAsItWas() throws Exception {
        Events events = new Events();
        try (DtlsServer server = listen(Duration.ofSeconds(2), Duration.ofSeconds(60), events);
                UdpProxy nat = new UdpProxy(server.localAddress())) {
            clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
            Inbox clientInbox = Inbox.collecting();
            Session client = clientSide.connect(nat.address(), "localhost", clientInbox, WAIT);
            assertEquals("opened alice", events.next());
            ping(client, clientInbox, "before");
            byte[] withCookie = nat.toServer.stream()
                    .filter(d -> Cookies.isClientHello(d, 0, d.length) && ClientHellos.cookieLength(d) > 0)
                    .findFirst().orElseThrow();

            nat.inject(withCookie); // from the client's own address, with a cookie that still verifies
            RobustnessTest.waitFor(() -> server.admission().handshakes() == 1, "a new handshake beside the session");
            ping(client, clientInbox, "during the new handshake");
            RobustnessTest.waitFor(() -> server.drops.handshakeTimeouts == 1, "the new handshake timed out: " + server);
            ping(client, clientInbox, "after it failed");
            assertNull(events.log.poll(), "the session lived on");
            assertEquals(1, server.sessions().size());
            assertEquals(1, server.drops.handshakes);
        }
    }

    @Test
    void theSameClientFromTheSameAddressReplacesItsSessionClosedBeforeOpened() throws Exception {
        Events events = new Events();
        try (DtlsServer server = listen(WAIT, Duration.ofSeconds(60), events)) {
            int port;
            try (DatagramSocket first = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = first.getLocalPort();
                echoOnce(first, server, "alice", "before the crash");
            } // gone without a close_notify, as a crashed client would be
            assertEquals("opened alice", events.next());
            try (DatagramSocket second = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                echoOnce(second, server, "alice", "after the restart");
            }
            assertEquals("closed alice: replaced by a new handshake of the same client", events.next());
            assertEquals("opened alice", events.next());
            assertEquals(1, server.sessions().size());
            assertEquals(2, server.drops.handshakes);
        }
    }

    /**
     * A client gone before its first record (its close_notify lost, or it crashed) leaves a session
     * that still waits to hear that its final flight arrived. A new ClientHello from that address
     * is no retransmission of the client's last flight: it starts a handshake, not a resend.
     */
    @Test
    void aClientThatRestartsBeforeItsFirstRecordGetsANewHandshake() throws Exception {
        Events events = new Events();
        try (DtlsServer server = listen(WAIT, Duration.ofSeconds(60), events)) {
            int port;
            try (DatagramSocket first = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = first.getLocalPort();
                first.connect(server.localAddress());
                new DTLSClientProtocol().connect(new ClientPeer(CryptoState.of(Backends.jca()),
                        Credentials.load(pki.settings("alice").trust()), null, List.of(), 5000), new BcDatagramSocket(first));
            } // not one record after the handshake
            assertEquals("opened alice", events.next());
            try (DatagramSocket second = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                echoOnce(second, server, "alice", "after the restart");
            }
            assertEquals("closed alice: replaced by a new handshake of the same client", events.next());
            assertEquals("opened alice", events.next());
            assertEquals(2, server.drops.handshakes);
        }
    }

    @Test
    void anotherClientFromTheSameAddressDoesNotEndTheSession() throws Exception {
        Events events = new Events();
        try (DtlsServer server = listen(WAIT, Duration.ofSeconds(5), events)) {
            int port;
            try (DatagramSocket first = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = first.getLocalPort();
                echoOnce(first, server, "alice", "alice's");
            }
            assertEquals("opened alice", events.next());
            try (DatagramSocket second = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                echoOnce(second, server, "bob", "bob's");
            }
            assertEquals("opened bob", events.next());
            assertNull(events.log.poll(), "alice's session was not ended by bob's handshake");
            assertEquals(2, server.sessions().size(), "both sessions live");
            assertEquals("closed alice: no packets from the client for 5 s", events.next(), "by its own idle timeout");
            assertEquals("closed bob: no packets from the client for 5 s", events.next());
            assertTrue(server.sessions().isEmpty());
        }
    }

    /** A Bouncy Castle client {@code name} on {@code socket}: handshake, one record, its echo. */
    private void echoOnce(DatagramSocket socket, DtlsServer server, String name, String text) throws Exception {
        socket.connect(server.localAddress());
        ClientPeer peer = new ClientPeer(CryptoState.of(Backends.jca()), Credentials.load(pki.settings(name).trust()), null,
                List.of(), 5000);
        DTLSTransport dtls = new DTLSClientProtocol().connect(peer, new BcDatagramSocket(socket));
        byte[] p = text.getBytes(StandardCharsets.US_ASCII);
        dtls.send(p, 0, p.length);
        byte[] buf = new byte[100];
        int n = dtls.receive(buf, 0, buf.length, 5000);
        assertArrayEquals(p, Arrays.copyOf(buf, Math.max(0, n)));
    }

    private static void ping(Session client, Inbox inbox, String text) throws Exception {
        byte[] p = text.getBytes(StandardCharsets.US_ASCII);
        client.send(p, 0, p.length);
        assertArrayEquals(p, inbox.next(WAIT));
    }

    /** Echoes packets and keeps what happened to sessions, in order: "opened NAME", "closed NAME: REASON". */
    private static final class Events implements SessionHandler {
        final BlockingQueue<String> log = new LinkedBlockingQueue<>();

        @Override
        public void opened(Session session) {
            log.add("opened " + session.peerIdentity());
        }

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            try {
                session.send(buf, off, len);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void closed(Session session, String reason) {
            log.add("closed " + session.peerIdentity() + ": " + reason);
        }

        String next() throws InterruptedException {
            String e = log.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(e, "nothing happened within " + WAIT);
            return e;
        }
    }
}

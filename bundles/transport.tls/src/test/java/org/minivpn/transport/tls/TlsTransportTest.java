package org.minivpn.transport.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.TlsClientProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

class TlsTransportTest {

    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    Path dir;
    private Pki pki;
    private TlsTransport server;
    private TlsTransport client;
    private TransportServer listener;
    private final Inbox atServer = new Inbox();
    private final Inbox atClient = new Inbox();

    @BeforeEach
    void setUp() throws Exception {
        pki = new Pki(dir.resolve("pki"), "Test CA");
        pki.issue("server", true, "localhost", "127.0.0.1");
        pki.issue("alice", false);
        server = Pki.transport(pki.settings("server", Duration.ofSeconds(2), Duration.ofSeconds(60), 2));
        client = Pki.transport(pki.settings("alice", Duration.ofSeconds(5), Duration.ofSeconds(60), 2));
        listener = server.listen(ANY_LOOPBACK, atServer);
    }

    @AfterEach
    void tearDown() {
        listener.close();
        server.deactivate();
        client.deactivate();
    }

    @Test
    void handshakeAndDataBothWays() throws Exception {
        Session s = client.connect(listener.localAddress(), "127.0.0.1", atClient, Duration.ofSeconds(5));
        assertEquals("server", s.peerIdentity());
        assertTrue(s.cipherSuite().startsWith("TLS_AES_") || s.cipherSuite().startsWith("TLS_CHACHA20"), s.cipherSuite());
        byte[] ping = {0x45, 1, 2, 3, 4};
        s.send(ping, 0, ping.length);
        assertArrayEquals(ping, atServer.next());
        Session atServerSide = atServer.session;
        assertEquals("alice", atServerSide.peerIdentity());
        byte[] big = new byte[1500];
        big[0] = 0x60;
        for (int i = 0; i < 60; i++) { // within send.queue (64): none dropped
            big[1] = (byte) i;
            atServerSide.send(big, 0, big.length);
        }
        for (int i = 0; i < 60; i++) {
            byte[] got = atClient.next();
            assertEquals(1500, got.length);
            assertEquals((byte) i, got[1], "in order");
        }
        assertEquals(1L, listener.counters().get("handshakes.ok"));
        s.close();
        assertTrue(atServer.closed.await(5, TimeUnit.SECONDS), "the server sees the session end");
        assertFalse(s.isOpen());
    }

    @Test
    void serverOfAnotherCaIsRefused() throws Exception {
        Pki other = new Pki(dir.resolve("other"), "Other CA");
        other.issue("server", true, "127.0.0.1");
        TlsTransport mallory = Pki.transport(other.settings("server", Duration.ofSeconds(2), Duration.ofSeconds(60), 2));
        TransportServer fake = mallory.listen(ANY_LOOPBACK, new Inbox());
        try {
            TransportException e = assertThrows(TransportException.class,
                    () -> client.connect(fake.localAddress(), "127.0.0.1", atClient, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("not issued by the configured CA"), e.getMessage());
        } finally {
            fake.close();
            mallory.deactivate();
        }
    }

    @Test
    void clientTheServerRefusesIsToldWhy() throws Exception {
        pki.issue("mallory", true); // our CA, but a server's certificate (no clientAuth)
        TlsTransport mallory = Pki.transport(pki.settings("mallory", Duration.ofSeconds(5), Duration.ofSeconds(60), 2));
        try {
            TransportException e = assertThrows(TransportException.class,
                    () -> mallory.connect(listener.localAddress(), "127.0.0.1", atClient, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("refused this client"), e.getMessage());
            assertTrue(waitFor(() -> listener.counters().get("handshakes.failed") == 1L), listener.counters().toString());
            assertTrue(listener.sessions().isEmpty());
        } finally {
            mallory.deactivate();
        }
    }

    @Test
    void wrongServerNameIsRefused() {
        TransportException e = assertThrows(TransportException.class,
                () -> client.connect(listener.localAddress(), "vpn.example.com", atClient, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("not 'vpn.example.com'"), e.getMessage());
    }

    @Test
    void oversizedFrameDropsThePeer() throws Exception {
        try (Socket raw = new Socket()) {
            raw.connect(listener.localAddress(), 5000);
            raw.setSoTimeout(5000);
            TlsClientProtocol protocol = new TlsClientProtocol(raw.getInputStream(), raw.getOutputStream());
            Credentials alice = Credentials.load(pki.settings("alice", Duration.ofSeconds(5), Duration.ofSeconds(5), 1).trust());
            protocol.connect(new TlsClientPeer(CryptoState.of(jca()), alice, null, List.of()));
            assertEquals(0, protocol.getInputStream().readNBytes(2)[0], "admitted");
            protocol.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF, 0x45, 0});
            assertTrue(atServer.closed.await(5, TimeUnit.SECONDS), "the server ends the session");
            assertTrue(atServer.reason.contains("65535 bytes"), atServer.reason);
            assertThrows(IOException.class, () -> {
                int r = protocol.getInputStream().read();
                if (r < 0) {
                    throw new IOException("closed");
                }
            });
        }
        assertTrue(waitFor(() -> listener.sessions().isEmpty()));
    }

    @Test
    void connectToSilentServerTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> client.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), null, atClient,
                    Duration.ofMillis(700)));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "bounded by the timeout");
        }
    }

    @Test
    void connectToClosedPortFailsFastWithoutRefusal() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        IOException e = assertThrows(IOException.class, () -> client.connect(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), null, atClient, Duration.ofSeconds(5)));
        assertFalse(e instanceof TransportException, "not reaching a server is no refusal: " + e);
    }

    @Test
    void silentClientsAreCutAtTheHandshakeTimeoutAndBounded() throws Exception {
        Socket a = new Socket();
        Socket b = new Socket();
        Socket c = new Socket();
        try (a; b; c) {
            a.connect(listener.localAddress());
            b.connect(listener.localAddress());
            Thread.sleep(300);
            c.connect(listener.localAddress()); // the third of handshake.max 2: closed at once
            c.setSoTimeout(5000);
            assertEquals(-1, c.getInputStream().read());
            a.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertEquals(-1, a.getInputStream().read(), "closed by the server after handshake.timeout");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8));
            b.setSoTimeout(10_000);
            assertEquals(-1, b.getInputStream().read(), "b too, before this side closes it");
        }
        assertTrue(waitFor(() -> listener.counters().get("handshakes.timeout") == 2L), listener.counters().toString());
        assertEquals(1L, listener.counters().get("handshakes.busy"));
        // and a real client gets in afterwards
        Session s = client.connect(listener.localAddress(), null, atClient, Duration.ofSeconds(5));
        s.close();
    }

    @Test
    void idleSessionEnds() throws Exception {
        TlsTransport quick = Pki.transport(pki.settings("server", Duration.ofSeconds(2), Duration.ofSeconds(5), 2));
        Inbox inbox = new Inbox();
        TransportServer l = quick.listen(ANY_LOOPBACK, inbox);
        try {
            Session s = client.connect(l.localAddress(), null, atClient, Duration.ofSeconds(5));
            assertTrue(inbox.closed.await(15, TimeUnit.SECONDS), "ended after session.idle.timeout");
            assertTrue(inbox.reason.contains("session.idle.timeout"), inbox.reason);
            assertTrue(atClient.closed.await(5, TimeUnit.SECONDS));
            assertFalse(s.isOpen());
        } finally {
            l.close();
            quick.deactivate();
        }
    }

    private static CryptoBackend jca() {
        return new CryptoBackend() {
            @Override
            public String name() {
                return "jca";
            }

            @Override
            public java.security.Provider provider() {
                return null;
            }
        };
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    /** What a handler received. */
    static final class Inbox implements SessionHandler {
        final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();
        final CountDownLatch closed = new CountDownLatch(1);
        volatile Session session;
        volatile String reason = "";

        @Override
        public void opened(Session s) {
            session = s;
        }

        @Override
        public void received(Session s, byte[] buf, int off, int len) {
            session = s;
            packets.add(java.util.Arrays.copyOfRange(buf, off, off + len));
        }

        @Override
        public void closed(Session s, String why) {
            reason = why;
            closed.countDown();
        }

        byte[] next() throws InterruptedException {
            byte[] p = packets.poll(5, TimeUnit.SECONDS);
            if (p == null) {
                throw new AssertionError("no packet within 5 s");
            }
            return p;
        }
    }
}

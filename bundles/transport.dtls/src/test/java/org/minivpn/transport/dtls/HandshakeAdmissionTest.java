package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/**
 * Handshake admission under attack: an address that completes the cookie exchange from many ports
 * and then stalls keeps no other client out; cookieless floods leave no state; per-source limits,
 * eviction of the longest-stalled handshake and shorter deadlines under pressure.
 */
class HandshakeAdmissionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetSocketAddress SERVER_BIND = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final String ATTACKER = "127.0.0.1";
    private static final String CLIENT = "127.0.0.2";

    @TempDir
    Path pkiDir;

    private TestPki pki;
    private ClientHellos hellos;
    private DtlsTransport serverSide;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<DatagramSocket> attackerSockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        hellos = ClientHellos.capture(Credentials.load(pki.settings("alice").trust()));
    }

    @AfterEach
    void stop() throws InterruptedException {
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        synchronized (attackerSockets) {
            attackerSockets.forEach(DatagramSocket::close);
        }
        if (serverSide != null) {
            serverSide.deactivate();
        }
    }

    private DtlsServer listen(DtlsSettings settings) throws Exception {
        serverSide = Backends.transport(settings, Backends.jca());
        return (DtlsServer) serverSide.listen(SERVER_BIND, Inbox.echoing());
    }

    /** Server settings with {@code timeout}, one ready thread, {@code max} places and {@code limits}. */
    private DtlsSettings settings(Duration timeout, int max, HandshakeLimits limits) throws Exception {
        DtlsSettings s = pki.settings("server");
        return new DtlsSettings(s.ca(), s.cert(), s.key(), s.crl(), List.of(), timeout, 1, max, Duration.ofSeconds(60),
                1500, limits);
    }

    @Test
    void aFloodOfStalledHandshakesFromOneAddressKeepsNoOtherClientOut() throws Exception {
        try (LogCapture log = new LogCapture(); DtlsServer server = listen(pki.settings("server"))) {
            HandshakeAdmission admission = server.admission();
            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicInteger mostInFlight = new AtomicInteger();
            InetSocketAddress attackerSource = new InetSocketAddress(ATTACKER, 1);
            // 200 handshakes a second from many ports of one address, each silent after its cookie.
            Future<Integer> flood = threads.submit(() -> {
                long start = System.nanoTime();
                int sent = 0;
                while (flooding.get() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    long due = start + sent * TimeUnit.MILLISECONDS.toNanos(5);
                    long early = due - System.nanoTime();
                    if (early > 0) {
                        TimeUnit.NANOSECONDS.sleep(early);
                    }
                    stall(server.localAddress());
                    sent++;
                    mostInFlight.accumulateAndGet(admission.inFlight(attackerSource), Math::max);
                }
                return sent;
            });
            waitFor(() -> server.drops.sourceLimited > 0, "the attacker reached its limit: " + server);
            for (int i = 0; i < 3; i++) {
                long millis = connectAndEcho(CLIENT, "alice", server.localAddress());
                assertTrue(millis <= 3000, "a client from another address connected in " + millis + " ms during the"
                        + " flood: " + server);
                Thread.sleep(1000);
            }
            flooding.set(false);
            int sent = flood.get(30, TimeUnit.SECONDS);
            assertTrue(sent >= 400, "the flood sent " + sent + " handshakes");
            assertTrue(mostInFlight.get() <= HandshakeLimits.DEFAULT.perSource(),
                    mostInFlight.get() + " handshakes in flight from the attacker");
            assertTrue(server.drops.sourceLimited + server.drops.rateLimited > sent / 2, server.toString());
            assertNotNull(log.await("limiting handshakes from 127.0.0.1: ", WAIT), log.messages().toString());
        }
    }

    @Test
    void tenThousandCookielessClientHellosFromManyPortsLeaveNoState() throws Exception {
        try (DtlsServer server = listen(pki.settings("server"))) {
            byte[] hello = hellos.withoutCookie();
            List<DatagramSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    sockets.add(new DatagramSocket(new InetSocketAddress(ATTACKER, 0)));
                }
                sendRounds(server, sockets, hello, 10); // warm up: classes, JIT, buffers
                long before = usedHeapAfterGc();
                sendRounds(server, sockets, hello, 100);
                long growth = usedHeapAfterGc() - before;
                assertEquals(11_000, server.drops.cookies, server.toString());
                assertEquals(0, server.admission().handshakes());
                assertEquals(0, server.admission().trackedSources(), "only cookie-verified sources are tracked");
                assertTrue(server.sessions().isEmpty());
                assertTrue(growth < 4 << 20, "the heap grew by " + (growth >> 10) + " KiB");
            } finally {
                sockets.forEach(DatagramSocket::close);
            }
        }
    }

    /** Each socket sends {@code hello} once a round; a round ends when the server has answered all of it. */
    private static void sendRounds(DtlsServer server, List<DatagramSocket> sockets, byte[] hello, int rounds)
            throws Exception {
        for (int r = 0; r < rounds; r++) {
            long expected = server.drops.cookies + sockets.size();
            for (DatagramSocket s : sockets) {
                s.send(new DatagramPacket(hello, hello.length, server.localAddress()));
            }
            waitFor(() -> server.drops.cookies >= expected, "every ClientHello answered: " + server);
        }
    }

    @Test
    void aSourceGetsNoMoreThanItsHandshakesInFlight() throws Exception {
        try (LogCapture log = new LogCapture();
                DtlsServer server = listen(settings(WAIT, 64, new HandshakeLimits(2, 10, 20, Duration.ofSeconds(3))))) {
            for (int i = 0; i < 10; i++) {
                stall(server.localAddress());
            }
            waitFor(() -> server.drops.sourceLimited == 8, "8 refused: " + server);
            assertEquals(2, server.admission().handshakes());
            assertEquals(2, server.admission().inFlight(new InetSocketAddress(ATTACKER, 9)));
            assertEquals(0, server.drops.rateLimited);
            assertNotNull(log.await("WARNING limiting handshakes from 127.0.0.1: 2 in flight, 1 refused in the last"
                    + " minute", WAIT), log.messages().toString());
            Thread.sleep(300);
            assertEquals(1, log.messages().stream().filter(m -> m.contains("limiting handshakes")).count(),
                    "one warning a minute");
        }
    }

    @Test
    void aSourceStartsNoMoreHandshakesThanItsTokenBucketAllows() throws Exception {
        try (DtlsServer server = listen(settings(WAIT, 64, new HandshakeLimits(100, 1, 3, Duration.ofSeconds(3))))) {
            for (int i = 0; i < 10; i++) {
                stall(server.localAddress());
            }
            waitFor(() -> server.drops.rateLimited == 7, "7 refused: " + server);
            assertEquals(3, server.admission().handshakes(), "the burst");
            assertEquals(0, server.drops.sourceLimited);
        }
    }

    @Test
    void aFullServerEvictsTheLongestStalledHandshakeAndWakesItsThread() throws Exception {
        // No shorter deadline under pressure here: only eviction can make room.
        DtlsSettings settings = settings(Duration.ofSeconds(30), 4, new HandshakeLimits(4, 10, 20, Duration.ofSeconds(30)));
        try (LogCapture log = new LogCapture(); DtlsServer server = listen(settings)) {
            HandshakeAdmission admission = server.admission();
            for (int i = 0; i < 4; i++) {
                stall(server.localAddress());
            }
            waitFor(() -> admission.handshakes() == 4 && admission.busyThreads() == 4, "4 stalled: " + server);
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(HandshakeAdmission.STALLED) + 500);
            long millis = connectAndEcho(CLIENT, "alice", server.localAddress());
            assertTrue(millis <= 3000, "connected in " + millis + " ms: " + server);
            assertEquals(1, server.drops.evicted, server.toString());
            assertEquals(0, server.drops.busy, server.toString());
            // Bouncy Castle's retransmission timer stood at 2 s: only a wake-up ends the evicted thread sooner.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
            while (admission.busyThreads() > 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(3, admission.busyThreads(), "the evicted handshake's thread was woken");
            assertEquals(3, admission.handshakes());
            assertNotNull(log.await("handshake places (handshake.max) are taken", WAIT));
        }
    }

    @Test
    void aFullServerWithoutStalledHandshakesDropsTheNewClient() throws Exception {
        DtlsSettings settings = settings(Duration.ofSeconds(30), 2, new HandshakeLimits(4, 10, 20, Duration.ofSeconds(30)));
        try (DtlsServer server = listen(settings)) {
            stall(server.localAddress());
            stall(server.localAddress());
            waitFor(() -> server.admission().handshakes() == 2, "2 in flight");
            try (DatagramSocket late = new DatagramSocket(new InetSocketAddress(CLIENT, 0))) {
                assertTrue(hellos.stall(late, server.localAddress(), 5000));
            }
            waitFor(() -> server.drops.busy == 1, "the third dropped: " + server);
            assertEquals(0, server.drops.evicted);
        }
    }

    @Test
    void underPressureHandshakesGetTheShortTimeout() throws Exception {
        DtlsSettings settings = settings(Duration.ofSeconds(30), 4, new HandshakeLimits(4, 10, 20, Duration.ofSeconds(1)));
        try (DtlsServer server = listen(settings)) {
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) { // more than half of 4
                stall(server.localAddress());
            }
            waitFor(() -> server.drops.handshakeTimeouts == 3, "all 3 timed out: " + server);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 8000, "timed out after " + millis + " ms, not within the 1 s pressure timeout");
            assertEquals(0, server.admission().handshakes());
            waitFor(() -> server.admission().busyThreads() == 0, "the threads are free");
        }
    }

    /** An attacker's handshake from a new port of 127.0.0.1: ClientHello, cookie, silence. */
    private void stall(InetSocketAddress server) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(ATTACKER, 0));
        synchronized (attackerSockets) {
            attackerSockets.add(s);
        }
        assertTrue(hellos.stall(s, server, 5000), "no HelloVerifyRequest");
    }

    /** A real client from {@code host}: handshake, one record and its echo; returns how long the handshake took. */
    private long connectAndEcho(String host, String name, InetSocketAddress server) throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(host, 0))) {
            socket.connect(server);
            ClientPeer peer = new ClientPeer(CryptoState.of(Backends.jca()), Credentials.load(pki.settings(name).trust()), null,
                    List.of(), (int) WAIT.toMillis());
            long start = System.nanoTime();
            DTLSTransport dtls = new DTLSClientProtocol().connect(peer, new BcDatagramSocket(socket));
            long millis = (System.nanoTime() - start) / 1_000_000;
            byte[] p = ("hello from " + host).getBytes(StandardCharsets.US_ASCII);
            dtls.send(p, 0, p.length);
            byte[] buf = new byte[100];
            int n = dtls.receive(buf, 0, buf.length, (int) WAIT.toMillis());
            assertArrayEquals(p, java.util.Arrays.copyOf(buf, Math.max(0, n)));
            dtls.close();
            return millis;
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        RobustnessTest.waitFor(condition, what);
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;

/**
 * Server CPU per full DTLS handshake: clients on loopback make full handshakes (ECDSA P-256
 * certificates from {@link TestPki}, CRL in place) against one {@link DtlsServer} and close their
 * sessions again, warm-up first. The server's cost is the CPU time of its own threads (receive
 * thread and handshake pool, by name, from {@link ThreadMXBean}); the clients run in the same
 * process on other threads, so the rate printed is what this machine does with both sharing it.
 * Not part of the build (the name does not end in Test); run it with
 * {@code mvn -B -q verify -pl bundles/transport.dtls -am -Dtest=HandshakeBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * and optionally {@code -Dbench.backend=bc -Dbench.handshakes=700 -Dbench.rounds=3 -Dbench.warmup=1000
 * -Dbench.concurrency=4 -Dbench.clients=1 -Dbench.profile=true} (the last records the server threads with JFR and
 * prints where their time goes, {@link HandshakeProfile}).
 */
class HandshakeBenchmark {

    private static final String BACKEND = System.getProperty("bench.backend", "jca");
    private static final int HANDSHAKES = Integer.getInteger("bench.handshakes", 700);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 1000);
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 4);
    private static final boolean PROFILE = Boolean.getBoolean("bench.profile");
    /** Distinct client certificates, taken in turn; more than the JDK's certificate cache (750) defeats it. */
    private static final int CLIENTS = Integer.getInteger("bench.clients", 1);
    /** Loopback is one source: lift the per-source limits that would otherwise pace it. */
    private static final HandshakeLimits OPEN = new HandshakeLimits(1000, 100_000, 100_000, Duration.ofSeconds(3));

    @TempDir
    Path dir;

    @Test
    void serverCpuPerHandshake() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"), "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
        List<Credentials> identities = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            pki.issue("client" + i, TestPki.Usage.CLIENT, false);
            identities.add(Credentials.load(pki.settings("client" + i).trust()));
        }
        Logger root = Logger.getLogger("");
        Handler[] consoles = root.getHandlers();
        FileHandler file = new FileHandler(dir.resolve("appliance.log").toString());
        file.setFormatter(new SimpleFormatter());
        for (Handler h : consoles) {
            root.removeHandler(h);
        }
        root.addHandler(file); // as the appliance logs: every connect and close, to a file
        DtlsTransport serverSide = Backends.transport(pki.settings("server").with(OPEN), Backends.byName(BACKEND));
        DtlsTransport clientSide = Backends.transport(pki.settings("client0"), Backends.byName(BACKEND));
        Clients clients = new Clients(clientSide, identities);
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new SessionHandler() {
                    @Override
                    public void received(Session session, byte[] buf, int off, int len) {
                    }
                })) {
            int port = server.localAddress().getPort();
            run(clients, server, WARMUP);
            HandshakeProfile profile = PROFILE ? HandshakeProfile.start(dir.resolve("server.jfr"), port) : null;
            int failures = 0;
            List<Double> perHandshake = new ArrayList<>();
            List<Double> rates = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                Map<Long, Long> cpu0 = serverCpuNanos(port);
                Map<Long, Long> allocated0 = serverAllocatedBytes(port);
                long process0 = PROCESS.getProcessCpuTime();
                long clients0 = clients.cpuNanos.get();
                long ok0 = server.counters().get(TransportServer.HANDSHAKES + "ok");
                long start = System.nanoTime();
                failures += run(clients, server, HANDSHAKES);
                double seconds = (System.nanoTime() - start) / 1e9;
                long cpu = since(cpu0, serverCpuNanos(port));
                long allocated = since(allocated0, serverAllocatedBytes(port));
                long rest = PROCESS.getProcessCpuTime() - process0 - (clients.cpuNanos.get() - clients0);
                long ok = server.counters().get(TransportServer.HANDSHAKES + "ok") - ok0;
                perHandshake.add(cpu / 1e6 / ok);
                rates.add(ok / seconds);
                System.out.printf("BENCHMARK round %d: %d handshakes in %.1f s, %.1f handshakes/s, server CPU %.2f ms per"
                        + " handshake, %.0f KiB allocated per handshake; the process less the client handshake threads %.2f ms"
                        + " (adds JIT, GC, the clients' receive threads)%n", round, ok, seconds, ok / seconds, cpu / 1e6 / ok,
                        allocated / 1024.0 / ok, rest / 1e6 / ok);
            }
            double ms = median(perHandshake);
            System.out.printf("BENCHMARK handshakes %s backend, %d client certificates, %d clients at a time, median of %d"
                    + " rounds of %d: server CPU %.2f ms per handshake (receive thread and handshake pool), so %.0f"
                    + " handshakes/s per core of server capacity; %.1f handshakes/s with the clients in the same process%n",
                    BACKEND, CLIENTS, CONCURRENCY, ROUNDS, HANDSHAKES, ms, 1000 / ms, median(rates));
            if (profile != null) {
                profile.stopAndPrint();
            }
            assertEquals(0, failures, "every handshake completed");
        } finally {
            clientSide.deactivate();
            serverSide.deactivate();
            root.removeHandler(file);
            file.close();
            for (Handler h : consoles) {
                root.addHandler(h);
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    /** Makes {@code count} handshakes from {@link #CONCURRENCY} threads; returns how many failed. */
    private static int run(Clients clients, TransportServer server, int count) throws InterruptedException {
        AtomicInteger left = new AtomicInteger(count);
        AtomicInteger failed = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CONCURRENCY; i++) {
            Thread t = new Thread(() -> {
                long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                for (int n = left.getAndDecrement(); n > 0; n = left.getAndDecrement()) {
                    try {
                        clients.handshake(server.localAddress());
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        System.out.println("BENCHMARK handshake failed: " + e);
                    }
                }
                clients.cpuNanos.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0);
            }, "bench-client-" + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(Duration.ofMinutes(3).toMillis());
        }
        // Let the server open the last close_notify alerts, so their cost lands in this round.
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!server.sessions().isEmpty() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        return failed.get();
    }

    /** Client handshakes as {@link DtlsTransport#connect} makes them, each with one of many identities. */
    private record Clients(DtlsTransport transport, List<Credentials> identities, AtomicInteger turn, AtomicLong cpuNanos) {

        Clients(DtlsTransport transport, List<Credentials> identities) {
            this(transport, identities, new AtomicInteger(), new AtomicLong());
        }

        /** A full handshake as the next client in turn (all of them, round and round), then close_notify. */
        void handshake(InetSocketAddress server) throws Exception {
            SessionHandler quiet = (session, buf, off, len) -> { };
            int n = Math.floorMod(turn.getAndIncrement(), identities.size());
            DtlsClientSession s = DtlsClientSession.handshake(transport, identities.get(n),
                    transport.cryptoState(), transport.settings(), server, null, quiet, Duration.ofSeconds(10));
            s.start();
            s.close();
        }
    }

    /** CPU time of each of the server's receive and handshake threads, in nanoseconds, by thread ID. */
    static Map<Long, Long> serverCpuNanos(int port) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null && isServerThread(info.getThreadName(), port)) {
                long t = mx.getThreadCpuTime(info.getThreadId());
                if (t >= 0) {
                    cpu.put(info.getThreadId(), t);
                }
            }
        }
        return cpu;
    }

    /** Bytes allocated by each of the server's receive and handshake threads, by thread ID. */
    static Map<Long, Long> serverAllocatedBytes(int port) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<Long, Long> bytes = new HashMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null && isServerThread(info.getThreadName(), port)) {
                long b = mx.getThreadAllocatedBytes(info.getThreadId());
                if (b >= 0) {
                    bytes.put(info.getThreadId(), b);
                }
            }
        }
        return bytes;
    }

    /** What was spent between two samples by the threads alive at the second (one that started meanwhile from 0). */
    private static long since(Map<Long, Long> before, Map<Long, Long> after) {
        long total = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            total += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return total;
    }

    static boolean isServerThread(String name, int port) {
        return name.equals("dtls-rx-" + port) || name.startsWith("dtls-handshake-" + port + "-");
    }
}

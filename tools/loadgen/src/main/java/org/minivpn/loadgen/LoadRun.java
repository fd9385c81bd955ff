package org.minivpn.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One run of the load generator: opens the sessions with a bounded number of handshakes in flight,
 * reports how that went (an {@code opened:} line), keeps every session alive until the run's end or
 * a stop, then closes them and reports what was held (a {@code held:} line). Everything happens
 * within {@link Options#duration()}.
 */
final class LoadRun {

    /** Time kept at the end of the run for closing the sessions and reporting. */
    private static final long CLOSE_RESERVE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long OPENING_PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long HOLDING_PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Options options;
    private final Opener opener;
    private final Keepers keepers;
    private final PrintStream out;

    private final Queue<VpnSession> sessions = new ConcurrentLinkedQueue<>();
    private final Latencies handshakes = new Latencies();
    private final Latencies configs = new Latencies();
    private final Tally failures = new Tally();
    private final LongAdder hellosResent = new LongAdder();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile boolean stopping;

    LoadRun(Options options, Opener opener, Keepers keepers, PrintStream out) {
        this.options = options;
        this.opener = opener;
        this.keepers = keepers;
        this.out = out;
    }

    /**
     * Runs once, on the calling thread, and returns within the run's duration (plus at most a few
     * seconds when a thread hangs past its own bound).
     *
     * @param stop counted down to stop early (on SIGTERM): no new sessions, holding ends
     * @return the exit status: 0 when every session opened and was still alive at the end, else 1
     */
    int run(CountDownLatch stop) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + options.duration().toNanos();
        long openBy = end - CLOSE_RESERVE_NANOS;
        int n = options.sessions();
        out.printf(Locale.ROOT, "loadgen: %d sessions to %s, %d handshakes in flight, each within %d s; the run ends"
                + " within %d s%n", n, options.server(), options.concurrency(), options.handshakeTimeout().toSeconds(),
                options.duration().toSeconds());

        ExecutorService pool = Executors.newFixedThreadPool(options.concurrency(), r -> {
            Thread t = new Thread(r, "loadgen-opener");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < n; i++) {
            pool.execute(() -> openOne(openBy));
        }
        pool.shutdown();
        long nextProgress = start + OPENING_PROGRESS_NANOS;
        while (!pool.awaitTermination(250, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            if (!stopping && stop.getCount() == 0) {
                stopping = true;
                pool.shutdownNow(); // interrupting a handshake closes its socket: it ends at once
            }
            if (now - nextProgress >= 0) {
                out.printf(Locale.ROOT, "opening: %d established, %d failed, %d to go (%.0f s)%n", handshakes.count(),
                        failures.total(), n - finished.get(), (now - start) / 1e9);
                nextProgress = now + OPENING_PROGRESS_NANOS;
            }
            if (now - openBy > options.handshakeTimeout().toNanos()) {
                pool.shutdownNow(); // every opener is bounded by its timeout: this is only a safety net
                break;
            }
        }
        long opened = System.nanoTime();
        reportOpening(n, (opened - start) / 1e9);

        long holdUntil = end - CLOSE_RESERVE_NANOS;
        out.printf(Locale.ROOT, "holding %d sessions (answering PINGs) until SIGTERM or %.0f s from now%n",
                sessions.size(), Math.max(0, holdUntil - opened) / 1e9);
        out.flush();
        while (!stopping && holdUntil - System.nanoTime() > 0) {
            long wait = Math.min(HOLDING_PROGRESS_NANOS, holdUntil - System.nanoTime());
            if (stop.await(Math.max(1, wait), TimeUnit.NANOSECONDS)) {
                stopping = true;
            } else if (holdUntil - System.nanoTime() > 0) {
                out.printf(Locale.ROOT, "holding: %d alive, %d PINGs answered%n", alive(), keepers.pongs());
            }
        }
        return close(n, (System.nanoTime() - opened) / 1e9);
    }

    /** One opener task: a session opened and handed to the keepers, or a failure counted. */
    private void openOne(long openBy) {
        try {
            long left = openBy - System.nanoTime();
            if (stopping) {
                failures.add("not started: the run was stopped");
                return;
            }
            if (left <= 0) {
                failures.add("not started: the run's --duration ran out");
                return;
            }
            Opener.Opened o = opener.open(Duration.ofNanos(Math.min(left, options.handshakeTimeout().toNanos())));
            try {
                keepers.adopt(o.session());
            } catch (IOException | RuntimeException e) {
                o.session().close();
                throw new SessionFailure("could not hand the session to a keeper thread: " + e);
            }
            sessions.add(o.session());
            handshakes.add(o.handshakeNanos());
            configs.add(o.configNanos());
            hellosResent.add(o.hellosResent());
        } catch (IOException | RuntimeException e) {
            failures.add(VpnSession.describe(e));
        } finally {
            finished.incrementAndGet();
        }
    }

    private void reportOpening(int n, double seconds) {
        int established = handshakes.count();
        out.printf(Locale.ROOT, "opened: established=%d failed=%d seconds=%.2f handshakes_per_second=%.1f"
                + " handshake_p50_ms=%.1f handshake_p99_ms=%.1f config_p50_ms=%.1f config_p99_ms=%.1f hellos_resent=%d%n",
                established, n - established, seconds, established / Math.max(seconds, 1e-9),
                Latencies.millis(handshakes.percentile(50)), Latencies.millis(handshakes.percentile(99)),
                Latencies.millis(configs.percentile(50)), Latencies.millis(configs.percentile(99)), hellosResent.sum());
        out.printf(Locale.ROOT, "  %d of %d sessions established in %.2f s: %.1f handshakes/s%n", established, n, seconds,
                established / Math.max(seconds, 1e-9));
        out.println("  DTLS handshake (cookie exchange included): " + handshakes.summary());
        out.println("  HELLO to CONFIG: " + configs.summary());
        if (failures.total() == 0) {
            out.println("  failures: none");
        } else {
            out.println("  failures:");
            failures.lines().forEach(line -> out.println("    " + line));
        }
    }

    /** Stops the keepers, closes every session and reports; returns the exit status. */
    private int close(int n, double heldSeconds) {
        keepers.close();
        Tally losses = new Tally();
        int alive = 0;
        for (VpnSession s : sessions) {
            String lost = s.lost();
            if (lost == null) {
                alive++;
            } else {
                losses.add(lost);
            }
            s.close();
        }
        out.printf(Locale.ROOT, "held: alive=%d lost=%d pings_answered=%d seconds=%.0f%n", alive, sessions.size() - alive,
                keepers.pongs(), heldSeconds);
        losses.lines().forEach(line -> out.println("  lost: " + line));
        out.flush();
        return handshakes.count() == n && alive == n ? 0 : 1;
    }

    private int alive() {
        int alive = 0;
        for (VpnSession s : sessions) {
            if (s.lost() == null) {
                alive++;
            }
        }
        return alive;
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import org.minivpn.api.tun.TunDevice;

/**
 * The relay's own thread ({@code relay-<tun>-tx}): reads the TUN with a timeout, hands each packet to
 * its owner, and after every read or timeout gives the owner a tick for keepalives and dead-peer
 * checks, so that no timer thread ever sends. When no packet is waiting, the owner is told to
 * flush what its sessions hold back, before the loop waits. Its buffer is allocated once.
 */
final class TunLoop {

    /** What the loop calls, always on its own thread. */
    interface Owner {

        /** One packet read from the TUN; {@code buf} is the loop's and valid only during the call. */
        void fromTun(byte[] buf, int n);

        /** Called after every read or read timeout, at least every {@value #READ_TIMEOUT_MILLIS} ms. */
        void tick(long nowNanos);

        /** No packet is waiting on the TUN: send what the sessions hold back (see Session.flush). */
        void flush();

        /** The device went away while the loop ran; the loop has ended. */
        void tunGone();
    }

    static final int READ_TIMEOUT_MILLIS = 200;
    /** How often at most a failure is logged after the first. */
    static final Duration REPORT_EVERY = Duration.ofMinutes(1);
    private static final int GONE = -2;
    private static final Logger LOG = System.getLogger(TunLoop.class.getName());

    private final TunDevice tun;
    private final Owner owner;
    private final Thread thread;
    private final long reportEveryNanos;
    private volatile boolean running = true;
    private volatile long failures; // written by the loop thread only
    private long unreported; // loop thread only: failures since the last log line
    private long nextReportNanos; // loop thread only
    private boolean traced; // loop thread only: the first failure's stack trace was logged

    TunLoop(TunDevice tun, Owner owner) {
        this(tun, owner, REPORT_EVERY);
    }

    /** @param reportEvery how often at most a failure is logged after the first */
    TunLoop(TunDevice tun, Owner owner, Duration reportEvery) {
        this.tun = tun;
        this.owner = owner;
        this.reportEveryNanos = reportEvery.toNanos();
        this.thread = new Thread(this::run, "relay-" + tun.name() + "-tx");
        thread.setDaemon(true);
        // An Error (not a RuntimeException) still ends the loop: say so rather than stop silently.
        thread.setUncaughtExceptionHandler((t, e) -> LOG.log(Level.ERROR, t.getName() + " ended: relaying through "
                + tun.name() + " stopped; vpn:disconnect and vpn:connect (or vpn:stop and vpn:serve) restart it", e));
    }

    void start() {
        thread.start();
    }

    /** Ends the loop and waits up to two seconds for it (a read returns within its timeout). */
    void stop() {
        running = false;
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Unexpected failures (a RuntimeException of the owner or the device) the loop survived so far. */
    long failures() {
        return failures;
    }

    /**
     * A failure with one packet or one tick never ends relaying: the loop counts it, logs it and goes
     * on, as wireguard-go's RoutineReadFromTUN logs a failed read or send and continues with the next
     * packet. A bug hit by every packet would otherwise flood the log, so the first failure is logged
     * with its stack trace, and later ones at most once per {@code reportEvery} with their count.
     */
    private void run() {
        byte[] buf = new byte[65536];
        while (running) {
            int n = read(buf);
            if (n == GONE) {
                return;
            }
            if (n > 0) {
                try {
                    owner.fromTun(buf, n);
                } catch (RuntimeException e) {
                    failed("relaying a packet from " + tun.name(), e);
                }
            }
            try {
                owner.tick(System.nanoTime());
            } catch (RuntimeException e) {
                failed("sending keepalives and checking for dead peers", e);
            }
        }
    }

    /** The next packet's length, -1 when none came or the read failed, or {@link #GONE}. */
    private int read(byte[] buf) {
        try {
            int n = tun.read(buf, 0, buf.length, 0);
            if (n < 0) {
                owner.flush();
                n = tun.read(buf, 0, buf.length, READ_TIMEOUT_MILLIS);
            }
            return n;
        } catch (ClosedChannelException e) {
            if (running) {
                LOG.log(Level.ERROR, "the TUN device " + tun.name() + " went away; relaying stops");
                owner.tunGone();
            }
            return GONE;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "reading " + tun.name() + " failed: " + e.getMessage());
            pause();
            return -1;
        } catch (RuntimeException e) {
            failed("reading " + tun.name() + " or flushing the sessions", e);
            pause();
            return -1;
        }
    }

    private void failed(String what, RuntimeException e) {
        failures++; // one writer: this thread
        long now = System.nanoTime();
        if (!traced) {
            traced = true;
            nextReportNanos = now + reportEveryNanos;
            LOG.log(Level.ERROR, thread.getName() + ": unexpected failure while " + what + "; relaying continues (this is"
                    + " a bug: please report it with this trace; later ones are counted and logged at most every "
                    + every() + ")", e);
            return;
        }
        unreported++;
        if (now - nextReportNanos >= 0) {
            nextReportNanos = now + reportEveryNanos;
            LOG.log(Level.ERROR, thread.getName() + ": " + unreported + " more unexpected failure(s), " + failures
                    + " in all; the last while " + what + ": " + e + "; relaying continues");
            unreported = 0;
        }
    }

    private String every() {
        return reportEveryNanos >= 1_000_000_000L ? reportEveryNanos / 1_000_000_000L + " s"
                : reportEveryNanos / 1_000_000L + " ms";
    }

    /** Keeps a device that fails at once on every read from spinning the loop. */
    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

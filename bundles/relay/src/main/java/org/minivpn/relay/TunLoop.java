package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.minivpn.api.tun.TunDevice;

/**
 * The relay's own thread ({@code relay-<tun>-tx}): reads the TUN, hands each packet to its owner,
 * and after every batch or wait gives the owner a tick for keepalives and dead-peer checks, so that
 * no timer thread ever sends. When no packet is waiting, the owner is told to flush what its
 * sessions hold back, before the loop waits. Its buffer is allocated once.
 *
 * <p>The loop waits for the device without holding its reader's lock ({@link TunDevice#awaitReadable}),
 * so that another thread may read in the meantime ({@link #drain}): a receive thread that has just
 * written a request to the TUN finds the reply the kernel queued during that write and sends it
 * itself, instead of waking this thread for it (one thread wake less per round trip; OpenVPN's
 * single event loop finds the reply the same way). Every call to the owner is made under that lock,
 * so the owner sees one caller at a time, in the order the packets were read.
 */
final class TunLoop {

    /** What the loop calls, always on its own thread. */
    interface Owner {

        /** One packet read from the TUN; {@code buf} is the loop's and valid only during the call. */
        void fromTun(byte[] buf, int n);

        /** Called after every batch or wait, at least every {@value #READ_TIMEOUT_MILLIS} ms; on the loop's thread. */
        void tick(long nowNanos);

        /** No packet is waiting on the TUN: send what the sessions hold back (see Session.flush). */
        void flush();

        /** The device went away while the loop ran; the loop has ended. */
        void tunGone();
    }

    static final int READ_TIMEOUT_MILLIS = 200;
    /** Packets read per hold of the lock, so that a {@link #drain} and {@link #stop} get their turn. */
    static final int BATCH = 64;
    /** How often at most a failure is logged after the first. */
    static final Duration REPORT_EVERY = Duration.ofMinutes(1);
    private static final int GONE = -2;
    private static final Logger LOG = System.getLogger(TunLoop.class.getName());

    private final TunDevice tun;
    private final Owner owner;
    private final Thread thread;
    private final ReentrantLock reading = new ReentrantLock(); // held around every read and owner call
    private final byte[] buf = new byte[65536]; // guarded by reading
    private volatile boolean waiting; // the loop's thread sleeps in awaitReadable
    private final long reportEveryNanos;
    private volatile boolean running = true;
    private volatile long failures; // written under the reading lock
    private long unreported; // guarded by reading: failures since the last log line
    private long nextReportNanos; // guarded by reading
    private boolean traced; // guarded by reading: the first failure's stack trace was logged

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

    /**
     * Ends the loop and waits up to two seconds for it (a wait returns within its timeout) and for a
     * {@link #drain} in progress on another thread.
     */
    void stop() {
        running = false;
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(2000);
            if (reading.tryLock(2, TimeUnit.SECONDS)) {
                reading.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the loop's thread sleeps waiting for the device (a {@link #drain} would relay). */
    boolean sleeping() {
        return waiting;
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
        while (running) {
            int got;
            reading.lock();
            try {
                got = batch(BATCH);
                if (got != GONE) {
                    try {
                        owner.tick(System.nanoTime());
                    } catch (RuntimeException e) {
                        failed("sending keepalives and checking for dead peers", e);
                    }
                }
            } finally {
                reading.unlock();
            }
            if (got == GONE) {
                return;
            }
            if (got < BATCH && !await()) {
                return;
            }
        }
    }

    /**
     * Reads and relays what is waiting on the TUN, if the loop's thread is asleep waiting for it and
     * no other thread is reading: for a thread that is about to wait itself (a transport's receive
     * thread when it has drained its socket). Returns at once otherwise. It stops when nothing is
     * waiting, when the loop's thread has woken (it goes on from there), or after a few batches, and
     * flushes what it gave the sessions. Allocates nothing.
     */
    void drain() {
        if (!waiting || !running || !reading.tryLock()) {
            return;
        }
        try {
            for (int i = 0; i < 4 && waiting && running; i++) {
                int got = batch(BATCH);
                if (got < BATCH) {
                    return; // batch flushed: nothing is waiting, or the device went away
                }
            }
            owner.flush();
        } catch (RuntimeException e) {
            failed("relaying packets from " + tun.name() + " on " + Thread.currentThread().getName(), e);
        } finally {
            reading.unlock();
        }
    }

    /**
     * Reads up to {@code max} packets and hands each to the owner; when fewer came, the owner flushes.
     * Returns how many came, or {@link #GONE}. Under {@link #reading}.
     */
    private int batch(int max) {
        int got = 0;
        while (got < max) {
            int n = read();
            if (n == GONE) {
                return GONE;
            }
            if (n < 0) {
                break;
            }
            got++;
            try {
                owner.fromTun(buf, n);
            } catch (RuntimeException e) {
                failed("relaying a packet from " + tun.name(), e);
            }
        }
        if (got < max) {
            try {
                owner.flush();
            } catch (RuntimeException e) {
                failed("flushing the sessions", e);
            }
        }
        return got;
    }

    /** Waits for the device without the lock; false when it went away. */
    private boolean await() {
        waiting = true;
        try {
            tun.awaitReadable(READ_TIMEOUT_MILLIS);
            return true;
        } catch (ClosedChannelException e) {
            return gone();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "waiting for " + tun.name() + " failed: " + e.getMessage());
            pause();
            return true;
        } catch (RuntimeException e) {
            reading.lock();
            try {
                failed("waiting for " + tun.name(), e);
            } finally {
                reading.unlock();
            }
            pause();
            return true;
        } finally {
            waiting = false;
        }
    }

    /** The next packet's length, -1 when none is waiting or the read failed, or {@link #GONE}. Under {@link #reading}. */
    private int read() {
        try {
            return tun.read(buf, 0, buf.length, 0);
        } catch (ClosedChannelException e) {
            gone();
            return GONE;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "reading " + tun.name() + " failed: " + e.getMessage());
            pause();
            return -1;
        } catch (RuntimeException e) {
            failed("reading " + tun.name(), e);
            pause();
            return -1;
        }
    }

    /** The device went away: says so once, unless the loop is stopping. Returns false. */
    private boolean gone() {
        if (running) {
            running = false;
            LOG.log(Level.ERROR, "the TUN device " + tun.name() + " went away; relaying stops");
            owner.tunGone();
        }
        return false;
    }

    private void failed(String what, RuntimeException e) {
        failures++; // under the reading lock
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

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * A client's reconnect thread ({@code relay-<tun>-reconnect}): it waits until told that the session
 * was lost, lets the target drop it, and makes a new one with exponential backoff and jitter
 * ({@link Backoff}) until one succeeds or the thread is stopped. The TUN and routes stay meanwhile;
 * the target drops what is read from the TUN, so nothing leaves outside the tunnel.
 */
final class Reconnector {

    /** What the thread reconnects; called on the thread. */
    interface Target {

        /**
         * The session {@code lost} was lost: let go of it (the TUN and routes stay), and say so.
         *
         * @return false when {@code lost} is no longer the session in use (a loss told late, after a
         *     reconnect already replaced it): nothing is dropped and no reconnect follows
         */
        boolean drop(Object lost, String reason);

        /** Makes a new session and starts using it, or throws with the reason it could not. */
        void reestablish() throws IOException;

        /**
         * Makes a new session beside the one in use and moves onto it (a rekey, another transport);
         * on failure the one in use stays. Never throws.
         *
         * @return what happened, for the log and for {@link #moveNow}: starts with "moved" when it moved
         */
        String move(String reason);
    }

    private static final Logger LOG = System.getLogger(Reconnector.class.getName());

    private final Target target;
    private final String serverLabel;
    private final Duration max;
    private final Object signal = new Object();
    private final Thread thread;
    private volatile boolean running = true;
    private Object lost; // guarded by signal: the session told lost and not yet taken, or null
    private String lostReason; // guarded by signal
    private String moveReason; // guarded by signal: a move asked for and not yet made, or null
    private final Outcomes moves = new Outcomes();

    /**
     * @param tunName names the thread
     * @param serverLabel the server, as the log names it
     * @param max the ceiling of the backoff between tries
     */
    Reconnector(String tunName, Target target, String serverLabel, Duration max) {
        this.target = target;
        this.serverLabel = serverLabel;
        this.max = max;
        this.thread = new Thread(this::run, "relay-" + tunName + "-reconnect");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * The session {@code session} was lost. Losses told before the thread takes the first are the
     * same loss; one told after the thread took it is checked against the session then in use
     * ({@link Target#drop}), so that a late report cannot end the session that replaced it.
     */
    void lost(Object session, String reason) {
        synchronized (signal) {
            if (lost == null) {
                lost = session;
                lostReason = reason;
            }
            signal.notifyAll();
        }
    }

    /** A move is wanted ({@link Target#move}); a loss told meanwhile goes first. Moves asked before the thread takes one are the same move. */
    void move(String reason) {
        synchronized (signal) {
            if (moveReason == null) {
                moveReason = reason;
            }
            signal.notifyAll();
        }
    }

    /**
     * Asks for a move and waits up to {@code timeout} for its outcome (see {@link Target#move}), or
     * says that none came within it.
     */
    String moveNow(String reason, java.time.Duration timeout) throws InterruptedException {
        long before = moves.count();
        move(reason);
        String outcome = moves.awaitAfter(before, System.nanoTime() + timeout.toNanos(), () -> running);
        return outcome != null ? outcome : "no move within " + timeout.toSeconds() + " s" + (running ? "" : ": disconnected");
    }

    /** Ends the thread, waking it from any wait, and waits up to two seconds for a try under way. */
    void stop() {
        running = false;
        synchronized (signal) {
            signal.notifyAll();
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), max);
        while (running) {
            String reason;
            Object session;
            String move;
            synchronized (signal) {
                while (running && lost == null && moveReason == null) {
                    try {
                        signal.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                reason = lostReason;
                session = lost;
                lost = null;
                move = session == null ? moveReason : null;
                moveReason = null; // a reconnect makes new keys on the transport chosen now, as a move would
            }
            if (!running) {
                return;
            }
            if (move != null) {
                String outcome = target.move(move);
                LOG.log(outcome.startsWith("moved") ? Level.INFO : Level.WARNING, outcome);
                moves.add(outcome);
                continue;
            }
            if (!target.drop(session, reason)) {
                continue;
            }
            backoff.reset();
            while (running) {
                try {
                    target.reestablish();
                    break;
                } catch (IOException | RuntimeException e) {
                    long delay = backoff.nextDelayMillis();
                    LOG.log(Level.WARNING, "reconnect to " + serverLabel + " failed (" + e.getMessage() + "); next try in "
                            + delay + " ms");
                    synchronized (signal) {
                        try {
                            if (running) {
                                signal.wait(delay);
                            }
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
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
    private static final Logger LOG = System.getLogger(TunLoop.class.getName());

    private final TunDevice tun;
    private final Owner owner;
    private final Thread thread;
    private volatile boolean running = true;

    TunLoop(TunDevice tun, Owner owner) {
        this.tun = tun;
        this.owner = owner;
        this.thread = new Thread(this::run, "relay-" + tun.name() + "-tx");
        thread.setDaemon(true);
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

    private void run() {
        byte[] buf = new byte[65536];
        while (running) {
            int n;
            try {
                n = tun.read(buf, 0, buf.length, 0);
                if (n < 0) {
                    owner.flush();
                    n = tun.read(buf, 0, buf.length, READ_TIMEOUT_MILLIS);
                }
            } catch (ClosedChannelException e) {
                if (running) {
                    LOG.log(Level.ERROR, "the TUN device " + tun.name() + " went away; relaying stops");
                    owner.tunGone();
                }
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "reading " + tun.name() + " failed: " + e.getMessage());
                continue;
            }
            if (n > 0) {
                owner.fromTun(buf, n);
            }
            owner.tick(System.nanoTime());
        }
    }
}

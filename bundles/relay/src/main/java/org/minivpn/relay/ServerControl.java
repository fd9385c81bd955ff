package org.minivpn.relay;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.PriorityQueue;

/**
 * The server's control plane ({@link Wire}): the control records its clients send (HELLO answered
 * with an address and CONFIG, PING with PONG, PONG taken as the round-trip time, GOODBYE ending the
 * session) on the transports' receive threads, and the housekeeping of the relay's own thread:
 * keepalive pings, and dropping peers silent past their timeout. A plain peer (one that never said
 * HELLO, as the original C MiniVPN's client) is never sent a control record.
 *
 * <p>Housekeeping visits only the peers that are due, as WireGuard's per-peer timers do: each peer is
 * filed in a min-heap at its next deadline (its next ping, or its last-seen time plus its timeout)
 * and looked at again when that comes up. Its last-seen time only moves forward, so a deadline
 * filed early is re-checked then and the peer filed again at its new one; a peer with no address
 * yet is looked at on every round, and every peer at least once a keepalive interval, so a change
 * no deadline foresaw (a plain peer that says HELLO) is seen within one. A peer that leaves lets go
 * of its place at once ({@link Deadline#forget}); the empty place is dropped when it comes up, within
 * a keepalive interval. A burst of n clients costs O(log n) each, not a walk of all of them twice a
 * second.
 */
final class ServerControl {

    private static final Logger LOG = System.getLogger(ServerControl.class.getName());

    private final Admission admission;
    private final ServerSettings settings;
    private final long keepaliveNanos;
    private final long timeoutNanos;
    private final long plainTimeoutNanos; // 0: plain peers are never dropped for silence
    private final PriorityQueue<Deadline> due = new PriorityQueue<>((a, b) -> Long.compare(a.at - b.at, 0)); // relay thread only

    /**
     * A peer's place in the housekeeping heap, one per peer for its whole life. When the peer leaves,
     * {@link #forget} lets go of it at once, so that the heap never holds a session that ended (its
     * keys and buffers); the few bytes of this object leave the heap when its time comes up.
     */
    static final class Deadline {
        private volatile ServerPeer peer;
        private long at; // relay thread only; changed only while out of the heap

        Deadline(ServerPeer peer) {
            this.peer = peer;
        }

        /** The peer left; any thread. */
        void forget() {
            peer = null;
        }

        /** True once the peer left. */
        boolean forgotten() {
            return peer == null;
        }
    }

    ServerControl(Admission admission, ServerSettings settings) {
        this.admission = admission;
        this.settings = settings;
        this.keepaliveNanos = settings.keepalive().toNanos();
        this.timeoutNanos = settings.timeout().toNanos();
        this.plainTimeoutNanos = settings.plainTimeout().toNanos();
    }

    /** One control record of {@code p}; a receive thread. Allocates nothing but for a HELLO. */
    void received(ServerPeer p, byte[] buf, int off, int len) {
        byte type = len > 0 ? buf[off] : 0;
        switch (type) {
            case Wire.HELLO -> {
                p.hello = true;
                hello(p, Wire.helloRequest(buf, off, len));
            }
            case Wire.PING -> {
                if (len == Wire.PING_LENGTH) {
                    synchronized (p) {
                        p.sendControl(p.control, Wire.pong(buf, off, p.control));
                    }
                }
            }
            case Wire.PONG -> {
                if (len == Wire.PING_LENGTH) {
                    p.rttNanos = System.nanoTime() - Wire.getLong(buf, off + 1);
                }
            }
            case Wire.GOODBYE -> p.session.close();
            default -> p.counters.droppedIn++;
        }
    }

    /** @param requested4 the IPv4 address the client held before it reconnected, or 0 */
    private void hello(ServerPeer p, int requested4) {
        if (!admission.assign(p, requested4)) {
            return;
        }
        int slot = p.slot;
        if (slot >= 0) {
            byte[] config = admission.config(p, slot);
            p.sendControl(config, config.length);
        }
    }

    /** How often {@link #housekeeping} is due: twice per keepalive interval, at least twice a second. */
    long housekeepingEveryNanos() {
        return Math.min(keepaliveNanos, 1_000_000_000L) / 2;
    }

    /**
     * Pings each client when due, drops each peer silent past its timeout, and closes the sessions a
     * move left once their grace is over; the relay's own thread. Visits only the peers whose
     * deadline has come (and those admitted since the last call).
     */
    void housekeeping(long now) {
        admission.retire(now);
        for (ServerPeer p = admission.arrived(); p != null; p = admission.arrived()) {
            file(p.deadline, now);
        }
        for (Deadline d = due.peek(); d != null && now - d.at >= 0; d = due.peek()) {
            due.poll();
            ServerPeer p = d.peer;
            if (p != null && admission.admits(p)) {
                visit(p, now); // files it again unless it drops it
            }
        }
    }

    private void file(Deadline d, long at) {
        if (!d.forgotten()) {
            d.at = at;
            due.add(d);
        }
    }

    /** How many peers are filed for housekeeping, the places of those that left and are not yet dropped included. */
    int scheduled() {
        return due.size();
    }

    private void visit(ServerPeer p, long now) {
        boolean hello = p.hello;
        long limit = hello ? timeoutNanos : plainTimeoutNanos;
        long lastSeen = p.lastSeenNanos;
        if (limit > 0 && now - lastSeen > limit) {
            LOG.log(Level.INFO, hello ? "client '" + p.identity + "' silent for " + settings.timeout().toSeconds()
                    + " s: dropped" : "plain peer '" + p.identity + "' sent nothing for "
                    + settings.plainTimeout().toSeconds() + " s: dropped (plain.timeout.seconds)");
            p.session.close();
            admission.closed(p, "silent past the timeout");
            return;
        }
        long every = housekeepingEveryNanos();
        long next = now + (p.slot < 0 ? every : Math.max(keepaliveNanos, every));
        if (hello && p.slot >= 0) {
            if (now - p.nextPingNanos >= 0) {
                p.nextPingNanos = now + keepaliveNanos;
                synchronized (p) {
                    p.sendControl(p.control, Wire.ping(p.control, Wire.PING, now));
                }
            }
            next = earlier(next, p.nextPingNanos);
        }
        if (limit > 0) {
            next = earlier(next, lastSeen + limit + 1); // strictly after now: it was not silent past the limit
        }
        file(p.deadline, next);
    }

    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }
}

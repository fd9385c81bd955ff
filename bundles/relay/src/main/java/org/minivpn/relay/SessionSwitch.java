package org.minivpn.relay;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.transport.Session;

/**
 * Which of a client's sessions is in use, and how the tunnel goes from one to the next: the first
 * session, letting go of a lost one and making another ({@link Reconnector}), and moving to a new
 * one beside the current, make-before-break. It holds every session the client may hear from: the
 * one in use, the one whose hello is under way, and the one a move left until its grace is over (as
 * WireGuard keeps its previous keypair after a rekey for what is still in flight). The TUN, addresses and routes stay
 * through every switch. Its {@link ClientEngine} is the facade the transport, the TUN loop and the
 * relay talk to; each method says on which thread it runs.
 */
final class SessionSwitch {

    private final ClientEngine engine;
    private final ClientTunnel tunnel;
    private final Dialer dialer;
    private final HelloExchange hello;
    private final Keepalive keepalive;
    private final Rekey rekey;
    private final Reconnector reconnector;
    private final Counters counters;
    private final Object sendLock;

    private volatile Session session;
    private volatile Session handshaking;
    private volatile Session retiring; // the session a move left, until it is closed
    private volatile long retireAtNanos; // when retiring is closed (retireDue)
    private volatile boolean moving; // a move is under way: the server may already send on the new session
    private volatile int reconnects;
    private volatile Instant keyedAt; // when the session in use was made: its keys' age
    private volatile String transportType = ""; // of the session in use
    private volatile long lostNanos; // when the last session was lost

    /**
     * @param engine its state changes, its configuration of the TUN, whether it still runs
     * @param parts the engine's own, shared with its other helpers
     */
    SessionSwitch(ClientEngine engine, ClientParts parts) {
        this.engine = engine;
        this.tunnel = parts.tunnel();
        this.dialer = parts.dialer();
        this.hello = parts.hello();
        this.keepalive = parts.keepalive();
        this.rekey = parts.rekey();
        this.reconnector = parts.reconnector();
        this.counters = parts.counters();
        this.sendLock = parts.sendLock();
    }

    /**
     * Makes the first session, applies its configuration and routes the tunnel; the session is in
     * use once this returns. Dials again while {@code going} holds ({@link Dialer#dialFirst}). On the
     * connecting thread; on failure the caller closes what it made ({@link #closeAll}).
     */
    void first(BooleanSupplier going) throws IOException {
        Session s = dialer.dialFirst(going);
        handshaking = s;
        PushedConfig pushed = hello.configuration(s, sendLock, keepalive, 0);
        engine.applyTun(pushed);
        tunnel.route();
        keepalive.heard(System.nanoTime());
        keyed();
        session = s;
    }

    /** The session in use, or null while there is none. */
    Session inUse() {
        return session;
    }

    /**
     * Whether what {@code s} delivered is taken: it is the session in use, the one whose hello is
     * under way, or the one a move left; during a move, IP packets of any session too, since the new
     * one's data may come before its handshake returns. A session already replaced is ignored. The
     * transport's receive thread; allocates nothing.
     */
    boolean takes(Session s, byte[] buf, int off, int len) {
        return s == session || s == handshaking || s == retiring || (moving && Wire.looksLikeIp(buf, off, len));
    }

    /** Whether {@code s} is the session whose hello exchange is under way (or done) ({@link ClientControl#received}). */
    boolean awaited(Session s) {
        return s == handshaking;
    }

    /** {@code s} was lost, unless it is no longer the one in use: a reconnect follows. Any thread. */
    void sessionLost(Session s, String reason) {
        if (s != session || !engine.running()) {
            return; // replaced already, or disconnecting: the server's close after our GOODBYE is no loss
        }
        reconnector.lost(s, reason);
    }

    /** Lets go of a lost session unless another replaced it already; the TUN and routes stay. On the reconnect thread. */
    boolean drop(Object lost, String reason) {
        Session old = session;
        if (old != lost) {
            return false;
        }
        lostNanos = System.nanoTime();
        session = null; // before closing: its closed() callback must not count as a new loss
        if (old != null) {
            old.close();
        }
        engine.change(ClientState.RECONNECTING, reason);
        return true;
    }

    /**
     * Makes a new session and takes the configuration it brings. It asks the server for the IPv4
     * address it held (a restarted server has forgotten it), so that the tunnel and its connections
     * keep their address when the server grants it. On the reconnect thread.
     */
    void reestablish() throws IOException {
        List<IpPrefix> before = tunnel.addresses();
        session = open(false);
        reconnects++;
        List<IpPrefix> now = tunnel.addresses();
        engine.change(ClientState.CONNECTED, "reconnected after "
                + Duration.ofNanos(System.nanoTime() - lostNanos).toMillis() + " ms"
                + (before.equals(now) ? ", same address " + now : ", new address " + now + " (was " + before + ")")
                + (dialer.fallback().isEmpty() ? "" : " over " + transportType + fellBack()));
    }

    /**
     * A new session with its configuration applied, about to be the one in use; closed when it fails.
     *
     * @param early true to send on it as soon as its handshake is done, before its configuration
     *     comes: a move, whose server gave it the old session's address then ({@link Admission#opened})
     */
    private Session open(boolean early) throws IOException {
        handshaking = null; // until the new one is known: an old one's goodbye must not end the new hello
        Session s = dialer.dial();
        handshaking = s;
        if (early) {
            session = s;
        }
        try {
            engine.applyTun(hello.configuration(s, sendLock, keepalive, tunnel.address4()));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        keepalive.heard(System.nanoTime());
        keyed();
        return s;
    }

    /**
     * Makes a new session beside the current one and moves the tunnel onto it, make-before-break: a
     * rekey ({@link Rekey}), or the transport chosen now. The server lets the new session of the same
     * identity replace the old one and gives it the same address (one session per identity,
     * {@link Admission#opened}); until the new one has its configuration, packets go through the old
     * one, whose goodbye and close are then no loss ({@link Reconnector} checks which session a loss
     * names). On failure the old session stays in use if it is still open. On the reconnect thread.
     */
    String move(String reason) {
        Session old = session;
        if (old == null || !engine.running() || keepalive.plain()) {
            return "no session to move from";
        }
        long start = System.nanoTime();
        long droppedBefore = counters.droppedOut;
        List<IpPrefix> before = tunnel.addresses();
        Session earlier = retiring;
        if (earlier != null) {
            earlier.close(); // a move right after a move: the first one's grace ends now
        }
        retiring = old; // what it still delivers is taken until it is closed
        moving = true;
        try {
            session = open(true);
        } catch (IOException | RuntimeException e) {
            session = old;
            handshaking = old;
            retiring = null;
            moving = false;
            return "could not move to a new session (" + reason + "): " + e.getMessage() + "; the current one stays";
        }
        retireAtNanos = System.nanoTime() + Admission.RETIRE_MILLIS * 1_000_000L;
        moving = false;
        List<IpPrefix> now = tunnel.addresses();
        return "moved to a new " + transportType + " session" + fellBack() + " (" + reason + ") in "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms, " + (counters.droppedOut - droppedBefore)
                + " packets dropped meanwhile, " + (before.equals(now) ? "same address " + now : "new address " + now);
    }

    /**
     * Closes the session a move left once its grace ({@value Admission#RETIRE_MILLIS} ms, for what the
     * server sent on it before the move) is over; the server keeps its end as long. On the TUN loop's
     * tick, so that a move starts no thread of its own.
     */
    void retireDue(long now) {
        Session old = retiring;
        if (old != null && !moving && now - retireAtNanos >= 0) {
            retiring = null;
            old.close();
        }
    }

    /**
     * Moves to a new session made with the transport chosen now ({@link #move}) and waits up to
     * {@code timeout} for it to be made or to fail: what happened (the interruption it cost), or why not.
     */
    String moveNow(String reason, Duration timeout) throws InterruptedException {
        if (keepalive.plain()) {
            return "a plain server takes no second session: vpn:disconnect, then vpn:connect";
        }
        return reconnector.moveNow(reason, timeout);
    }

    /**
     * Moves to a new session made with the transport chosen now ({@link #move}), on the reconnect
     * thread; with a plain server, drops the session and makes a new one.
     */
    void reconnect(String reason) {
        Session s = session;
        if (s != null && engine.running()) {
            if (keepalive.plain()) {
                sessionLost(s, reason); // a plain server takes no second session beside the first: break, then make
            } else {
                reconnector.move(reason);
            }
        }
    }

    /** Closes every session it holds (in use, handshaking, retiring); on disconnect or a failed connect. */
    void closeAll() {
        Session s = session;
        session = null;
        if (s != null) {
            s.close();
        }
        Session h = handshaking;
        if (h != null) {
            h.close();
        }
        Session r = retiring;
        retiring = null;
        if (r != null) {
            r.close();
        }
    }

    /** Why the session just made is not over the first transport to try, for the log; "" when it is. */
    String fellBack() {
        String why = dialer.fallback();
        return why.isEmpty() ? "" : ", falling back: " + why;
    }

    /** The type of the transport of the session in use (or the last one made). */
    String transportType() {
        return transportType;
    }

    /** When the session in use (or the last one made) was made: its keys' age. */
    Instant keyedAt() {
        return keyedAt;
    }

    /** How many times a lost session was replaced. */
    int reconnects() {
        return reconnects;
    }

    /** A new session is about to be the one in use: its keys' age and transport start now. */
    private void keyed() {
        rekey.keyed(System.nanoTime(), counters.packetsOut, counters.packetsIn);
        keyedAt = Instant.now();
        transportType = dialer.transportType();
    }
}

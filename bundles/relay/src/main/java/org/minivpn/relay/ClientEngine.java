package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;

/**
 * One client tunnel, from connect to disconnect, across any number of reconnects. The TUN settings
 * and routes stay in place while it reconnects, so nothing leaks out of the tunnel meanwhile.
 * See the package documentation for its threads.
 *
 * <p>A plain client (configured so, or after its hello met a plain server, see {@link HelloExchange})
 * sends its server IP packets only: no hello, PONG, PING or GOODBYE. The original C MiniVPN's server
 * writes every record to its TUN and exits on the first the kernel refuses; be conservative in what
 * you send (RFC 1122, 1.2.2).
 */
final class ClientEngine implements SessionHandler, Reconnector.Target, AutoCloseable {

    /** Told of every state change, on the engine's threads. */
    interface StateListener {
        void changed(ClientState from, ClientState to, String reason);
    }

    private static final Logger LOG = System.getLogger(ClientEngine.class.getName());

    private final ClientDevice device;
    private final ClientSettings settings;
    private final InetSocketAddress server;
    private final String serverLabel;
    private final StateListener listener;
    private final Counters counters = new Counters();
    private final Object sendLock = new Object();
    private final HelloExchange hello;
    private final ClientControl control;
    private final Dialer dialer;
    private final Keepalive keepalive;
    private final Rekey rekey;
    private final Reconnector reconnector;
    private final ClientTunnel tunnel;

    private volatile boolean running = true;
    private volatile Session session;
    private volatile Session handshaking;
    private volatile Session retiring; // the session a move left, until it is closed
    private volatile long retireAtNanos; // when retiring is closed (retireDue)
    private volatile boolean moving; // a move is under way: the server may already send on the new session
    private volatile ClientState state = ClientState.DISCONNECTED;
    private volatile Instant since = Instant.now();
    private volatile int reconnects;
    private volatile Instant connectedAt;
    private volatile Instant keyedAt; // when the session in use was made: its keys' age
    private volatile String transportType = ""; // of the session in use
    private volatile long lostNanos; // when the last session was lost

    ClientEngine(TunDevice tun, Supplier<Transport> transport, RouteConfigurator routing, ClientSettings settings,
            InetSocketAddress server, String serverLabel, StateListener listener) {
        this(tun, routing, settings, server, serverLabel, listener, () -> {
            Transport t = transport.get();
            return t == null ? List.of() : List.of(t);
        });
    }

    /** A client that tries {@code transports} in order, falling back as {@link Dialer} says. */
    ClientEngine(TunDevice tun, RouteConfigurator routing, ClientSettings settings, InetSocketAddress server,
            String serverLabel, StateListener listener, Dialer.Candidates transports) {
        this.tunnel = new ClientTunnel(tun, routing, settings, server);
        this.settings = settings;
        this.server = server;
        this.serverLabel = serverLabel;
        this.listener = listener;
        this.hello = new HelloExchange(settings);
        this.dialer = new Dialer(transports, settings, server, hello, this);
        this.keepalive = new Keepalive(settings);
        this.control = new ClientControl(hello, keepalive, sendLock);
        this.rekey = new Rekey(settings.rekey());
        this.reconnector = new Reconnector(tun.name(), this, serverLabel, settings.reconnectMax());
        this.device = new ClientDevice(tun, block -> new ClientUplink(this, counters, sendLock, block, keepalive, control,
                rekey, reconnector, dialer));
    }

    /**
     * Makes the first session, applies the tunnel's addresses and routes, and starts relaying.
     * On failure everything it did is undone and the reason says what to do.
     */
    void connect() throws IOException {
        change(ClientState.CONNECTING, "connecting to " + serverLabel);
        try {
            Session s = dialer.dialFirst(() -> running);
            handshaking = s;
            PushedConfig pushed = hello.configuration(s, sendLock, keepalive, 0);
            applyTun(pushed);
            tunnel.route();
            keepalive.heard(System.nanoTime());
            keyed();
            session = s;
        } catch (IOException | RuntimeException e) {
            running = false;
            undo();
            tunnel.clear();
            change(ClientState.DISCONNECTED, e.getMessage());
            throw e;
        }
        connectedAt = Instant.now();
        device.start();
        reconnector.start();
        change(ClientState.CONNECTED, "tunnel up: " + tunnel.addresses() + " over " + transportType + fellBack()
                + (keepalive.plain() ? " (plain: IP packets only, no control messages)" : ""));
    }

    private void applyTun(PushedConfig pushed) throws IOException {
        tunnel.apply(pushed);
        device.ipv6Block().activate(!pushed.hasIpv6());
        keepalive.apply(pushed);
    }

    // transport → TUN (the transport's receive thread)

    /**
     * Writes out what the TUN device held back to merge (see {@link TunDevice#flush()}), then sends
     * what is already waiting on the TUN when the relay's thread sleeps ({@link TunLoop#drain}).
     */
    @Override
    public void drained() {
        device.flush();
        device.drain();
    }

    @Override
    public void received(Session s, byte[] buf, int off, int len) {
        if (s != session && s != handshaking && s != retiring && !(moving && Wire.looksLikeIp(buf, off, len))) {
            return; // a session already replaced; during a move, the new one's data may come before its handshake returns
        }
        keepalive.heard(System.nanoTime());
        if (Wire.looksLikeIp(buf, off, len)) {
            try {
                device.write(buf, off, len);
                counters.bytesIn += len;
                counters.packetsIn++;
            } catch (IOException e) {
                counters.droppedIn++;
            }
            return;
        }
        switch (control.received(s, s == handshaking, buf, off, len)) {
            case GOODBYE -> {
                s.close();
                sessionLost(s, "the server said: " + control.goodbye());
            }
            case UNKNOWN -> counters.droppedIn++;
            default -> {
            }
        }
    }

    @Override
    public void closed(Session s, String reason) {
        sessionLost(s, reason);
    }

    /** The session in use, or null while there is none (connecting, reconnecting, disconnected). */
    Session current() {
        return state == ClientState.CONNECTED ? session : null;
    }

    /** {@code s} was lost, unless it is no longer the one in use: a reconnect follows. Any thread. */
    void sessionLost(Session s, String reason) {
        if (s != session || !running) {
            return; // replaced already, or disconnecting: the server's close after our GOODBYE is no loss
        }
        reconnector.lost(s, reason);
    }

    /** The name of the TUN device the tunnel runs through. */
    String tunName() {
        return device.name();
    }

    /** The TUN device went away: the session stays ({@link ClientDevice#detach}). */
    void detach(TunDevice t) {
        device.detach(t);
    }

    /** The TUN device is back as {@code t}: relaying resumes on the same session ({@link ClientDevice#attach}). */
    void attach(TunDevice t) throws IOException {
        if (running) {
            device.attach(t, tunnel);
        }
    }

    /** Sends one packet read from the TUN ({@link ClientUplink#toServer}). */
    void toServer(byte[] buf, int n) {
        device.uplink().fromTun(buf, n);
    }

    // reconnects (the reconnect thread)

    /** Lets go of a lost session unless another replaced it already; the TUN and routes stay. On the reconnect thread. */
    @Override
    public boolean drop(Object lost, String reason) {
        Session old = session;
        if (old != lost) {
            return false;
        }
        lostNanos = System.nanoTime();
        session = null; // before closing: its closed() callback must not count as a new loss
        if (old != null) {
            old.close();
        }
        change(ClientState.RECONNECTING, reason);
        return true;
    }

    /**
     * Makes a new session and takes the configuration it brings. It asks the server for the IPv4
     * address it held (a restarted server has forgotten it), so that the tunnel and its connections
     * keep their address when the server grants it. On the reconnect thread.
     */
    @Override
    public void reestablish() throws IOException {
        List<IpPrefix> before = tunnel.addresses();
        session = open(false);
        reconnects++;
        List<IpPrefix> now = tunnel.addresses();
        change(ClientState.CONNECTED, "reconnected after " + Duration.ofNanos(System.nanoTime() - lostNanos).toMillis()
                + " ms" + (before.equals(now) ? ", same address " + now : ", new address " + now + " (was " + before + ")")
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
            applyTun(hello.configuration(s, sendLock, keepalive, tunnel.address4()));
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
    @Override
    public String move(String reason) {
        Session old = session;
        if (old == null || !running || keepalive.plain()) {
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
        if (s != null && running) {
            if (keepalive.plain()) {
                sessionLost(s, reason); // a plain server takes no second session beside the first: break, then make
            } else {
                reconnector.move(reason);
            }
        }
    }

    /** Why the session just made is not over the first transport to try, for the log; "" when it is. */
    private String fellBack() {
        String why = dialer.fallback();
        return why.isEmpty() ? "" : ", falling back: " + why;
    }

    /** Whether the session in use (or the last one made) is over {@code t}. */
    boolean uses(Transport t) {
        return dialer.connected() == t;
    }

    /** A new session is about to be the one in use: its keys' age and transport start now. */
    private void keyed() {
        rekey.keyed(System.nanoTime(), counters.packetsOut, counters.packetsIn);
        keyedAt = Instant.now();
        transportType = dialer.transportType();
    }

    // state

    ClientState state() {
        return state;
    }

    ClientStatus status() {
        Session s = session;
        PushedConfig c = tunnel.config();
        long rtt = keepalive.rttNanos();
        return new ClientStatus(state, serverLabel, c == null ? List.of() : c.addresses(), transportType,
                s == null ? "" : s.cipherSuite(), counters.snapshot(), rtt < 0 ? null : Duration.ofNanos(rtt), since,
                reconnects, state == ClientState.DISCONNECTED ? null : connectedAt, tunnel.routeChanges(),
                state != ClientState.DISCONNECTED && c != null && !c.hasIpv6(), device.ipv6Block().dropped(),
                device.failures(), keepalive.plain(), s == null ? "" : s.cryptoBackend(), s == null ? null : keyedAt);
    }

    Traffic traffic() {
        return counters.snapshot();
    }

    private void change(ClientState to, String reason) {
        ClientState from = state;
        state = to;
        since = Instant.now();
        LOG.log(Level.INFO, from + " -> " + to + ": " + reason);
        listener.changed(from, to, reason);
    }

    /** Says goodbye (not to a plain server), ends the session, stops the threads and restores routing. Idempotent. */
    @Override
    public void close() {
        if (!running && state == ClientState.DISCONNECTED) {
            return;
        }
        running = false;
        Session s = session;
        if (s != null && !keepalive.plain()) {
            byte[] bye = Wire.goodbye("the client disconnected");
            synchronized (sendLock) {
                ClientControl.send(s, bye, bye.length); // the last record: a failure changes nothing
            }
        }
        device.stop();
        reconnector.stop();
        undo();
        tunnel.clear();
        change(ClientState.DISCONNECTED, "disconnected");
    }

    private void undo() {
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
        tunnel.unroute();
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
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
    private final SessionSwitch sessions;

    private volatile boolean running = true;
    private volatile ClientState state = ClientState.DISCONNECTED;
    private volatile Instant since = Instant.now();
    private volatile Instant connectedAt;

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
        ClientParts parts = new ClientParts(tunnel, dialer, hello, keepalive, control, rekey, reconnector, counters, sendLock);
        this.device = new ClientDevice(tun, block -> new ClientUplink(this, parts, block));
        this.sessions = new SessionSwitch(this, parts);
    }

    /**
     * Makes the first session, applies the tunnel's addresses and routes, and starts relaying.
     * On failure everything it did is undone and the reason says what to do.
     */
    void connect() throws IOException {
        change(ClientState.CONNECTING, "connecting to " + serverLabel);
        try {
            sessions.first(() -> running);
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
        change(ClientState.CONNECTED, "tunnel up: " + tunnel.addresses() + " over " + sessions.transportType()
                + sessions.fellBack() + (keepalive.plain() ? " (plain: IP packets only, no control messages)" : ""));
    }

    /**
     * Applies what a session's configuration brings: the TUN's addresses and MTU, the IPv6 block, the
     * keepalive. On the connecting or the reconnect thread ({@link SessionSwitch}).
     */
    void applyTun(PushedConfig pushed) throws IOException {
        tunnel.apply(pushed);
        device.ipv6Block().activate(!pushed.hasIpv6());
        keepalive.apply(pushed);
    }

    // transport → TUN (the transport's receive thread)

    /** Writes out what the TUN device held back to merge (see {@link TunDevice#flush()}). */
    @Override
    public void drained() {
        device.flush();
    }

    @Override
    public void received(Session s, byte[] buf, int off, int len) {
        if (!sessions.takes(s, buf, off, len)) {
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
        switch (control.received(s, sessions.awaited(s), buf, off, len)) {
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
        return state == ClientState.CONNECTED ? sessions.inUse() : null;
    }

    /** {@code s} was lost, unless it is no longer the one in use ({@link SessionSwitch#sessionLost}). Any thread. */
    void sessionLost(Session s, String reason) {
        sessions.sessionLost(s, reason);
    }

    /** False once the tunnel disconnects or fails to connect. */
    boolean running() {
        return running;
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

    // session switching (SessionSwitch): the reconnect thread, the TUN loop's tick, the relay

    /** Lets go of a lost session ({@link SessionSwitch#drop}). On the reconnect thread. */
    @Override
    public boolean drop(Object lost, String reason) {
        return sessions.drop(lost, reason);
    }

    /** Makes a new session asking for the address held ({@link SessionSwitch#reestablish}). On the reconnect thread. */
    @Override
    public void reestablish() throws IOException {
        sessions.reestablish();
    }

    /** Moves the tunnel to a new session, make-before-break ({@link SessionSwitch#move}). On the reconnect thread. */
    @Override
    public String move(String reason) {
        return sessions.move(reason);
    }

    /** Closes the session a move left when its grace is over ({@link SessionSwitch#retireDue}); the TUN loop's tick. */
    void retireDue(long now) {
        sessions.retireDue(now);
    }

    /** Moves to a new session and waits up to {@code timeout} for the outcome ({@link SessionSwitch#moveNow}). */
    String moveNow(String reason, Duration timeout) throws InterruptedException {
        return sessions.moveNow(reason, timeout);
    }

    /**
     * Moves to a new session on the reconnect thread, or breaks and makes one with a plain server
     * ({@link SessionSwitch#reconnect}). Any thread.
     */
    void reconnect(String reason) {
        sessions.reconnect(reason);
    }

    /** Whether the session in use (or the last one made) is over {@code t}. */
    boolean uses(Transport t) {
        return dialer.connected() == t;
    }

    // state

    ClientState state() {
        return state;
    }

    ClientStatus status() {
        Session s = sessions.inUse();
        PushedConfig c = tunnel.config();
        long rtt = keepalive.rttNanos();
        return new ClientStatus(state, serverLabel, c == null ? List.of() : c.addresses(), sessions.transportType(),
                s == null ? "" : s.cipherSuite(), counters.snapshot(), rtt < 0 ? null : Duration.ofNanos(rtt), since,
                sessions.reconnects(), state == ClientState.DISCONNECTED ? null : connectedAt, tunnel.routeChanges(),
                state != ClientState.DISCONNECTED && c != null && !c.hasIpv6(), device.ipv6Block().dropped(),
                device.failures(), keepalive.plain(), s == null ? "" : s.cryptoBackend(), s == null ? null : sessions.keyedAt());
    }

    Traffic traffic() {
        return counters.snapshot();
    }

    /** The tunnel's state is now {@code to}: logged and told to the listener, on the calling thread. */
    void change(ClientState to, String reason) {
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
        Session s = sessions.inUse();
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
        sessions.closeAll();
        tunnel.unroute();
    }
}

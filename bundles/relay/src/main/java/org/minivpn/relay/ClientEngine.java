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
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;

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
final class ClientEngine implements SessionHandler, TunLoop.Owner, Reconnector.Target, AutoCloseable {

    /** Told of every state change, on the engine's threads. */
    interface StateListener {
        void changed(ClientState from, ClientState to, String reason);
    }

    private static final Logger LOG = System.getLogger(ClientEngine.class.getName());

    private final TunDevice tun;
    private final Supplier<Transport> transports;
    private final RouteConfigurator routing;
    private final ClientSettings settings;
    private final InetSocketAddress server;
    private final String serverLabel;
    private final StateListener listener;
    private final Counters counters = new Counters();
    private final Object sendLock = new Object();
    private final Object tunWriteLock = new Object(); // the receive thread writes packets, the TUN thread ICMPv6 errors
    private final Ipv6Block ipv6Block; // drops on the TUN loop thread only
    private final byte[] control = new byte[Wire.PING_LENGTH]; // guarded by sendLock
    private final byte[] ping = new byte[Wire.PING_LENGTH]; // guarded by sendLock
    private final HelloExchange hello;
    private final Keepalive keepalive;
    private final TunLoop tunLoop;
    private final Reconnector reconnector;

    private volatile boolean running = true;
    private volatile Session session;
    private volatile Session handshaking;
    private volatile ClientState state = ClientState.DISCONNECTED;
    private volatile Instant since = Instant.now();
    private volatile int reconnects;
    private volatile String transportType = "";
    private volatile PushedConfig config;
    private volatile AppliedRoutes routes;
    private volatile Instant connectedAt;

    ClientEngine(TunDevice tun, Supplier<Transport> transports, RouteConfigurator routing, ClientSettings settings,
            InetSocketAddress server, String serverLabel, StateListener listener) {
        this.tun = tun;
        this.transports = transports;
        this.routing = routing;
        this.settings = settings;
        this.server = server;
        this.serverLabel = serverLabel;
        this.listener = listener;
        this.hello = new HelloExchange(settings);
        this.keepalive = new Keepalive(settings);
        this.tunLoop = new TunLoop(tun, this);
        this.ipv6Block = new Ipv6Block(tun, tunWriteLock);
        this.reconnector = new Reconnector(tun.name(), this, serverLabel, settings.reconnectMax());
    }

    /**
     * Makes the first session, applies the tunnel's addresses and routes, and starts relaying.
     * On failure everything it did is undone and the reason says what to do.
     */
    void connect() throws IOException {
        change(ClientState.CONNECTING, "connecting to " + serverLabel);
        try {
            Session s = handshake();
            PushedConfig pushed = hello.configuration(s, sendLock, keepalive);
            applyTun(pushed);
            if (routing != null) {
                routes = routing.routeClient(new ClientRoutes(tun.name(), server.getAddress(), server.getPort(),
                        !settings.splitTunnel(), pushed.routes(), pushed.hasIpv6(), settings.killSwitch()));
            }
            keepalive.heard(System.nanoTime());
            session = s;
        } catch (IOException | RuntimeException e) {
            running = false;
            undo();
            clearTun();
            change(ClientState.DISCONNECTED, e.getMessage());
            throw e;
        }
        connectedAt = Instant.now();
        tunLoop.start();
        reconnector.start();
        change(ClientState.CONNECTED, "tunnel up: " + config.addresses() + (keepalive.plain() ? " (plain: IP packets"
                + " only, no control messages)" : ""));
    }

    private Session handshake() throws IOException {
        Transport t = transports.get();
        if (t == null) {
            throw new IOException("no transport is available: install one (e.g. org.minivpn.transport.dtls) in deploy/");
        }
        transportType = t.type();
        hello.begin();
        Session s = t.connect(server, settings.serverName(), this, settings.handshakeTimeout());
        handshaking = s;
        return s;
    }

    private void applyTun(PushedConfig pushed) throws IOException {
        if (pushed.addresses().isEmpty()) {
            throw new IOException("no tunnel address: the server pushed none and none is configured");
        }
        PushedConfig old = config;
        if (old == null || !old.addresses().equals(pushed.addresses()) || old.mtu() != pushed.mtu()) {
            tun.configure(new TunSettings(pushed.mtu(), pushed.addresses()));
        }
        config = pushed;
        ipv6Block.activate(!pushed.hasIpv6());
        keepalive.apply(pushed);
    }

    // transport → TUN (the transport's receive thread)

    /** Writes out what the TUN device held back to merge (see {@link TunDevice#flush()}). */
    @Override
    public void drained() {
        try {
            synchronized (tunWriteLock) {
                tun.flush();
            }
        } catch (IOException e) {
            // the device is gone; the TUN loop learns it from its own read
        }
    }

    @Override
    public void received(Session s, byte[] buf, int off, int len) {
        if (s != session && s != handshaking) {
            return; // a session already replaced
        }
        keepalive.heard(System.nanoTime());
        if (Wire.looksLikeIp(buf, off, len)) {
            try {
                synchronized (tunWriteLock) {
                    tun.write(buf, off, len);
                }
                counters.bytesIn += len;
                counters.packetsIn++;
            } catch (IOException e) {
                counters.droppedIn++;
            }
            return;
        }
        hello.heardControl();
        byte type = len > 0 ? buf[off] : 0;
        switch (type) {
            case Wire.CONFIG -> hello.config(buf, off, len);
            case Wire.PING -> {
                if (len == Wire.PING_LENGTH && !keepalive.plain()) {
                    synchronized (sendLock) {
                        sendControl(s, control, Wire.pong(buf, off, control));
                    }
                }
            }
            case Wire.PONG -> {
                if (len == Wire.PING_LENGTH) {
                    keepalive.pong(Wire.getLong(buf, off + 1), System.nanoTime());
                }
            }
            case Wire.GOODBYE -> {
                String goodbye = Wire.goodbyeReason(buf, off, len);
                LOG.log(Level.WARNING, "the server said goodbye: " + goodbye);
                hello.goodbye(goodbye);
                s.close();
                sessionLost(s, "the server said: " + goodbye);
            }
            default -> counters.droppedIn++;
        }
    }

    @Override
    public void closed(Session s, String reason) {
        sessionLost(s, reason);
    }

    private void sessionLost(Session s, String reason) {
        if (s != session) {
            return;
        }
        reconnector.lost(reason);
    }

    // TUN → transport (the relay's own thread)

    @Override
    public void fromTun(byte[] buf, int n) {
        toServer(buf, n);
    }

    /** Pings the server when due (never a plain one) and declares it dead when it was silent past the timeout. */
    @Override
    public void tick(long now) {
        Session s = session;
        if (s == null || state != ClientState.CONNECTED) {
            return;
        }
        switch (keepalive.due(now)) {
            case DEAD -> {
                String why = keepalive.silence();
                LOG.log(Level.WARNING, why);
                sessionLost(s, why);
                s.close();
            }
            case PING -> {
                synchronized (sendLock) {
                    sendControl(s, ping, Wire.ping(ping, Wire.PING, now));
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void tunGone() {
        sessionLost(session, "the TUN device went away");
    }

    @Override
    public void flush() {
        Session s = session;
        if (s == null) {
            return;
        }
        try {
            synchronized (sendLock) {
                s.flush();
            }
        } catch (IOException e) {
            counters.droppedOut++;
        }
    }

    /** Sends a control record (and what data is held back before it); the caller holds sendLock. A failure is counted, as for data. */
    private void sendControl(Session s, byte[] b, int len) {
        try {
            s.send(b, 0, len);
        } catch (IOException e) {
            counters.droppedOut++;
        }
    }

    /**
     * Sends one packet read from the TUN; while there is no session it is dropped, never sent
     * elsewhere. An IPv6 packet when the tunnel has no IPv6 address is dropped too (see {@link Ipv6Block}).
     */
    void toServer(byte[] buf, int n) {
        if (ipv6Block.blocks(buf, n)) {
            ipv6Block.drop(buf, n);
            counters.droppedOut++;
            return;
        }
        Session s = session;
        if (s == null || state != ClientState.CONNECTED) {
            counters.droppedOut++;
            return;
        }
        try {
            synchronized (sendLock) {
                s.sendMore(buf, 0, n);
            }
            counters.bytesOut += n;
            counters.packetsOut++;
        } catch (IOException e) {
            counters.droppedOut++;
        }
    }

    // reconnects (the reconnect thread)

    /** Lets go of a lost session; the TUN and routes stay. On the reconnect thread. */
    @Override
    public void drop(String reason) {
        Session old = session;
        session = null; // before closing: its closed() callback must not count as a new loss
        if (old != null) {
            old.close();
        }
        change(ClientState.RECONNECTING, reason);
    }

    /** Makes a new session and takes the configuration it brings. On the reconnect thread. */
    @Override
    public void reestablish() throws IOException {
        Session s = handshake();
        applyTun(hello.configuration(s, sendLock, keepalive));
        keepalive.heard(System.nanoTime());
        session = s;
        reconnects++;
        change(ClientState.CONNECTED, "reconnected");
    }

    /** Drops the current session so that the next one is made with the transport chosen now. */
    void reconnect(String reason) {
        Session s = session;
        if (s != null && running) {
            sessionLost(s, reason);
        }
    }

    // state

    ClientState state() {
        return state;
    }

    ClientStatus status() {
        Session s = session;
        PushedConfig c = config;
        long rtt = keepalive.rttNanos();
        AppliedRoutes r = routes;
        return new ClientStatus(state, serverLabel, c == null ? List.of() : c.addresses(), transportType,
                s == null ? "" : s.cipherSuite(), counters.snapshot(), rtt < 0 ? null : Duration.ofNanos(rtt), since,
                reconnects, state == ClientState.DISCONNECTED ? null : connectedAt, r == null ? List.of() : r.changes(),
                state != ClientState.DISCONNECTED && c != null && !c.hasIpv6(), ipv6Block.dropped(),
                tunLoop.failures(), keepalive.plain(), s == null ? "" : s.cryptoBackend());
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
                sendControl(s, bye, bye.length);
            }
        }
        tunLoop.stop();
        reconnector.stop();
        undo();
        clearTun();
        change(ClientState.DISCONNECTED, "disconnected");
    }

    /** Takes the tunnel's addresses off the TUN, so that their connected routes go too. */
    private void clearTun() {
        PushedConfig c = config;
        if (c != null) {
            try {
                tun.configure(new TunSettings(c.mtu(), List.of()));
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "could not remove the tunnel addresses from " + tun.name() + ": " + e.getMessage());
            }
        }
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
        if (routes != null) {
            routes.close();
            routes = null;
        }
    }
}

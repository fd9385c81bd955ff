package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.route.ServerRoutes;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;

/**
 * One running VPN server: its transport listeners ({@link Listeners}, one per transport type), the
 * TUN device and the sessions between them. See the package documentation for its threads.
 */
final class ServerEngine implements SessionHandler, TunLoop.Owner, AutoCloseable {

    private static final Logger LOG = System.getLogger(ServerEngine.class.getName());

    private volatile TunDevice tun; // replaced when the device comes back as a new service (attach)
    private final List<Transport> transports;
    private final Listeners listeners;
    private final RouteConfigurator routing;
    private final ServerSettings settings;
    private final AddressPool<ServerPeer> pool;
    private final Admission admission;
    private final ServerControl control;
    private ServerPeer lastSent; // the relay's own thread: the peer whose session may hold records back
    private final Object tunWriteLock = new Object();
    private final Counters unrouted = new Counters();
    private volatile TunLoop tunLoop; // one per device

    private long nextHousekeepingNanos; // TUN loop thread only
    private volatile AppliedRoutes routes;
    private volatile Leases leases;
    private volatile Instant since;

    ServerEngine(TunDevice tun, Transport transport, RouteConfigurator routing, ServerSettings settings) {
        this(tun, List.of(transport), routing, settings);
    }

    /** A server that listens with each of {@code transports} (distinct types) on the same address and port. */
    ServerEngine(TunDevice tun, List<Transport> transports, RouteConfigurator routing, ServerSettings settings) {
        this.tun = tun;
        this.transports = List.copyOf(transports);
        this.listeners = new Listeners(new InetSocketAddress(settings.listen(), settings.port()), this);
        this.routing = routing;
        this.settings = settings;
        this.pool = new AddressPool<>(settings.pool4(), settings.pool6(), settings.statics(), settings.addressQuarantine(),
                System::nanoTime);
        this.admission = new Admission(pool, settings, this::assigned);
        this.control = new ServerControl(admission, settings);
        this.tunLoop = new TunLoop(tun, this);
    }

    /** Configures the TUN, listens, routes, then starts relaying. On failure nothing is left running. */
    void start() throws IOException {
        try {
            if (settings.leases() != null) {
                leases = new Leases(settings.leases(), pool);
            }
            tun.configure(new TunSettings(settings.mtu(), pool.serverAddresses()));
            for (Transport t : transports) {
                listeners.open(t);
            }
            route(tun);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        tunLoop.start();
        since = Instant.now();
        LOG.log(Level.INFO, "serving on " + listeners.describe() + " through " + tun.name() + " " + pool.serverAddresses());
    }

    /** Routes the pools through {@code t} and NATs them out (when a route configurator is bound). */
    private void route(TunDevice t) throws IOException {
        if (routing != null) {
            List<IpPrefix> networks = new ArrayList<>();
            networks.add(pool.pool4());
            if (pool.pool6() != null) {
                networks.add(pool.pool6());
            }
            routes = routing.routeServer(new ServerRoutes(t.name(), networks, settings.egress(), settings.mtu(),
                    settings.clientToClient()));
        }
    }

    /** The name of the TUN device the server relays through. */
    String tunName() {
        return tun.name();
    }

    /**
     * The TUN device {@code t} went away (its bundle is being updated or restarted): the relay's TUN
     * thread ends; sessions stay, and packets from clients are dropped until {@link #attach}. Clients
     * find nothing amiss unless it takes longer than their dead-peer probing (3.5 s).
     */
    void detach(TunDevice t) {
        if (tun == t) {
            LOG.log(Level.WARNING, "the TUN device " + t.name() + " went away: sessions stay; relaying resumes when"
                    + " the device is back");
            tunLoop.stop();
        }
    }

    /**
     * The TUN device is back as {@code t} (same name, a new service): its addresses, routes and NAT are
     * set again and relaying resumes with every session. On the caller's thread (the framework's).
     */
    void attach(TunDevice t) throws IOException {
        long start = System.nanoTime();
        tunLoop.stop();
        synchronized (tunWriteLock) {
            tun = t;
        }
        AppliedRoutes old = routes;
        routes = null;
        if (old != null) {
            old.close(); // the kernel removed the routes through the old device; the NAT rules go too
        }
        t.configure(new TunSettings(settings.mtu(), pool.serverAddresses()));
        route(t);
        TunLoop next = new TunLoop(t, this);
        tunLoop = next;
        next.start();
        LOG.log(Level.INFO, "the TUN device " + t.name() + " is back: addresses, routes and NAT set again in "
                + java.time.Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms; every session stayed");
    }

    /**
     * Listens with {@code t} too, beside the others (a transport bundle deployed while serving);
     * false when its type listens already.
     */
    boolean listen(Transport t) throws IOException {
        return listeners.open(t);
    }

    /**
     * Stops listening with {@code t} (its bundle went away); its sessions end and their clients
     * reconnect over another transport, while the other listeners and their sessions go on.
     */
    boolean unlisten(Transport t) {
        return listeners.close(t);
    }

    /** The transport types listening now. */
    List<String> listening() {
        return listeners.types();
    }

    private void assigned() {
        Leases l = leases;
        if (l != null) {
            l.changed();
        }
    }

    InetSocketAddress localAddress() {
        return listeners.localAddress();
    }

    // transport → TUN (the transport's receive thread)

    @Override
    public void opened(Session session) {
        ServerPeer p = new ServerPeer(session);
        p.lastSeenNanos = System.nanoTime();
        session.attach(p);
        admission.opened(p);
    }

    @Override
    public void received(Session session, byte[] buf, int off, int len) {
        ServerPeer p = (ServerPeer) session.attachment();
        if (p == null) {
            opened(session);
            p = (ServerPeer) session.attachment();
        }
        p.lastSeenNanos = System.nanoTime();
        if (Wire.looksLikeIp(buf, off, len)) {
            ServerPeer to = p.slot < 0 && p.successor != null ? p.successor : p; // in flight on a session a move left
            if (to.slot < 0 && !assignPlain(to, buf, off, len)) {
                return;
            }
            fromClient(to, buf, off, len);
        } else {
            control.received(p, buf, off, len);
        }
    }

    /**
     * A packet from a peer that holds no address yet. A peer that said HELLO and holds none was
     * refused; a plain peer takes its address from its first IPv4 packet ({@link Admission#assignPlain}).
     * IPv6 packets before it are dropped, not refused: a TUN set up by hand sends IPv6 router
     * solicitations from its link-local address as soon as it is up.
     */
    private boolean assignPlain(ServerPeer p, byte[] buf, int off, int len) {
        if (p.hello || Wire.ipVersion(buf, off, len) != 4) {
            p.counters.droppedIn++;
            return false;
        }
        return admission.assignPlain(p, Wire.ipv4Source(buf, off));
    }

    /** Writes out what the TUN device held back to merge (see {@link TunDevice#flush()}). */
    @Override
    public void drained() {
        try {
            synchronized (tunWriteLock) {
                tun.flush();
            }
        } catch (IOException e) {
            // the device is gone; the relay learns it from its own read
        }
    }

    /** One IP packet from a client: checked against its address, then written to the TUN. */
    private void fromClient(ServerPeer p, byte[] buf, int off, int len) {
        Counters c = p.counters;
        int v = Wire.ipVersion(buf, off, len);
        boolean own;
        boolean toClient;
        if (v == 4) {
            own = Wire.ipv4Source(buf, off) == p.address4;
            toClient = pool.owner4(Wire.ipv4Destination(buf, off)) != null;
        } else if (v == 6) {
            own = p.hasAddress6 && Wire.ipv6SourceHigh(buf, off) == p.address6High
                    && Wire.ipv6SourceLow(buf, off) == p.address6Low;
            toClient = pool.owner6(Wire.ipv6DestinationHigh(buf, off), Wire.ipv6DestinationLow(buf, off)) != null;
        } else {
            c.droppedIn++;
            return;
        }
        if (!own) {
            c.spoofed++;
            return;
        }
        if (toClient && !settings.clientToClient()) {
            c.droppedIn++;
            return;
        }
        try {
            synchronized (tunWriteLock) {
                tun.write(buf, off, len);
            }
            c.bytesIn += len;
            c.packetsIn++;
        } catch (IOException e) {
            c.droppedIn++;
        }
    }

    @Override
    public void closed(Session session, String reason) {
        ServerPeer p = (ServerPeer) session.attachment();
        if (p != null) {
            admission.closed(p, reason);
        }
    }

    // TUN → transport (the relay's own thread)

    @Override
    public void fromTun(byte[] buf, int n) {
        toClient(buf, n);
    }

    /**
     * Pings clients when due and drops those silent past the timeout, twice a keepalive interval. A
     * plain peer is never pinged: its liveness is the data it sends, and it is dropped after
     * {@code plain.timeout.seconds} without any (as OpenVPN's --inactive counts tunnel traffic only).
     */
    @Override
    public void tick(long now) {
        if (now - nextHousekeepingNanos >= 0) {
            control.housekeeping(now);
            nextHousekeepingNanos = now + control.housekeepingEveryNanos();
        }
    }

    @Override
    public void tunGone() {
        // the component sees the device's service go and stops the server
    }

    /** Routes one packet read from the TUN to the session that owns its destination. */
    void toClient(byte[] buf, int n) {
        int v = Wire.ipVersion(buf, 0, n);
        ServerPeer p;
        if (v == 4) {
            p = pool.owner4(Wire.ipv4Destination(buf, 0));
        } else if (v == 6) {
            p = pool.owner6(Wire.ipv6DestinationHigh(buf, 0), Wire.ipv6DestinationLow(buf, 0));
        } else {
            p = null;
        }
        if (p == null) {
            unrouted.droppedOut++;
            return;
        }
        Counters c = p.counters;
        if (lastSent != p) {
            flush(lastSent);
            lastSent = p;
        }
        try {
            synchronized (p) {
                p.session.sendMore(buf, 0, n);
            }
            c.bytesOut += n;
            c.packetsOut++;
        } catch (IOException e) {
            c.droppedOut++;
        }
    }

    @Override
    public void flush() {
        flush(lastSent);
        lastSent = null;
    }

    private static void flush(ServerPeer p) {
        if (p == null) {
            return;
        }
        try {
            synchronized (p) {
                p.session.flush();
            }
        } catch (IOException e) {
            p.counters.droppedOut++;
        }
    }

    // state

    List<SessionInfo> sessions() {
        return admission.sessions();
    }

    /** Ends the sessions of a client named by identity or tunnel address; returns how many ({@link Admission#kick}). */
    int kick(String who) {
        return admission.kick(who);
    }

    List<String> routes() {
        AppliedRoutes r = routes;
        return r == null ? List.of() : r.changes();
    }

    /** Unexpected failures of the relay's thread it survived (see {@link TunLoop}). */
    long relayFailures() {
        return tunLoop.failures();
    }

    /** The engine's figures beside its sessions; {@code endpoint} as the service shows it. */
    ServerStatus status(String endpoint) {
        Admission.Counts counts = admission.counts(); // kept as sessions come and go: no walk of them per request
        return new ServerStatus(true, endpoint, String.join(", ", listeners.types()), since, counts.sessions(),
                pool.clientAddresses(), counts.addresses(), unrouted.droppedOut, tunLoop.failures(), listeners.counters());
    }

    /** Says goodbye to every client but the plain ones, stops listening and relaying, and undoes routing. Idempotent. */
    @Override
    public void close() {
        byte[] bye = Wire.goodbye("the server is shutting down");
        for (ServerPeer p : admission.peers()) {
            p.sendControl(bye, bye.length);
        }
        listeners.closeAll();
        tunLoop.stop();
        admission.clear();
        Leases l = leases;
        leases = null;
        if (l != null) {
            l.close();
        }
        if (routes != null) {
            routes.close();
            routes = null;
        }
    }
}

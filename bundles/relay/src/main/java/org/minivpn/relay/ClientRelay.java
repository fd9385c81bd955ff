package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientListener;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ConnectRequest;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.NotConfiguredException;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The VPN client service. It exists as soon as the bundle is active; what it needs is checked at
 * {@link #connect}, with advice for what is missing. A configuration change of {@code transport}
 * moves a connected client to that transport by reconnecting; other changes apply at the next connect.
 */
@Component(service = VpnClient.class, configurationPid = "org.minivpn.relay.client", immediate = true)
@Designate(ocd = ClientConfig.class)
public final class ClientRelay implements VpnClient {

    private static final Logger LOG = System.getLogger(ClientRelay.class.getName());
    private static final String CONFIG_FILE = "configs/org.minivpn.relay.client.cfg";
    /** How long vpn:connect -t waits for a move: a handshake (10 s by default) and the configuration after it. */
    private static final java.time.Duration MOVE_WAIT = java.time.Duration.ofSeconds(20);

    private final TransportChoice transports = new TransportChoice();
    private final List<ClientListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ClientConfig config;
    private volatile TunDevice tun;
    private volatile RouteConfigurator routing;
    private volatile String requestedTransport;
    private ClientEngine engine; // guarded by this
    private TunDevice engineTun; // guarded by this

    @Activate
    public ClientRelay(ClientConfig config) {
        this.config = config;
    }

    @Modified
    void modified(ClientConfig changed) {
        ClientConfig before = config;
        this.config = changed;
        if (!before.transport().equals(changed.transport()) || !before.transports().equals(changed.transports())) {
            requestedTransport = null;
            retarget("the configured transport changed to '" + (changed.transport().isBlank() ? changed.transports()
                    : changed.transport()) + "'");
        }
    }

    @Deactivate
    void deactivate() {
        disconnect();
    }

    @Reference(name = "tun", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTun(TunDevice t) {
        tun = t;
        synchronized (this) {
            if (engine != null && engineTun == null && engine.state() != ClientState.DISCONNECTED
                    && engine.tunName().equals(t.name())) {
                try {
                    engine.attach(t);
                    engineTun = t;
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "the TUN device " + t.name() + " came back but could not be set up again ("
                            + e.getMessage() + "): disconnecting");
                    disconnect();
                }
            }
        }
    }

    /**
     * The TUN device in use went away, e.g. its bundle is being updated: the session stays and the
     * relay waits for a device of the same name ({@link #bindTun}), as the device swap of a running
     * appliance expects; vpn:disconnect ends the wait.
     */
    void unbindTun(TunDevice t) {
        if (tun == t) {
            tun = null;
        }
        synchronized (this) {
            if (engineTun == t && engine != null) {
                engine.detach(t);
                engineTun = null;
            }
        }
    }

    @Reference(name = "transports", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTransport(Transport t, Map<String, Object> properties) {
        transports.add(t, properties); // used by the next session
    }

    void unbindTransport(Transport t) {
        transports.remove(t);
        boolean used;
        synchronized (this) {
            used = engine != null && engine.uses(t);
        }
        if (used) {
            retarget("the transport in use went away");
        }
    }

    @Reference(name = "routing", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindRouting(RouteConfigurator r) {
        routing = r;
    }

    void unbindRouting(RouteConfigurator r) {
        if (routing == r) {
            routing = null;
        }
    }

    @Reference(name = "listeners", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindListener(ClientListener l) {
        listeners.add(l);
    }

    void unbindListener(ClientListener l) {
        listeners.remove(l);
    }

    private synchronized void retarget(String reason) {
        if (engine != null && engine.state() != ClientState.DISCONNECTED) {
            engine.reconnect(reason);
        }
    }

    @Override
    public void connect(ConnectRequest request) throws IOException {
        if (request.host().isBlank()) {
            request = configuredServer(request);
        }
        ClientEngine e;
        ClientEngine moving = null;
        synchronized (this) {
            if (engine != null && engine.state() == ClientState.CONNECTED && request.transport() != null
                    && engine.status().server().equals(label(request))) {
                Requirements.transport(transports.choose(request.transport()), request.transport(), transports,
                        CONFIG_FILE);
                requestedTransport = request.transport();
                moving = engine;
            } else if (engine != null && engine.state() != ClientState.DISCONNECTED) {
                throw new IllegalStateException("already " + engine.state().name().toLowerCase() + " to "
                        + engine.status().server() + ": vpn:disconnect first (or vpn:connect -t TYPE to the same server"
                        + " moves the tunnel to another transport)");
            }
        }
        if (moving != null) {
            move(moving, request.transport());
            return;
        }
        synchronized (this) {
            e = newEngine(request);
            engine = e;
            engineTun = tun;
        }
        e.connect(); // outside the lock: status() stays answerable while the handshake runs
    }

    /**
     * Moves the connected tunnel onto a new session over {@code type}, make-before-break (the same
     * address, routes and kill switch; {@link SessionSwitch#move}), and waits for it.
     */
    private void move(ClientEngine e, String type) throws IOException {
        try {
            String outcome = e.moveNow("vpn:connect -t " + type, MOVE_WAIT);
            if (!outcome.startsWith("moved")) {
                throw new IOException(outcome);
            }
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while moving the tunnel to " + type);
        }
    }

    /** The label of the server {@code request} names (address:port, [IPv6]:port), as a connected engine's status shows it. */
    private static String label(ConnectRequest request) {
        try {
            InetAddress a = InetAddress.getByName(request.host());
            String host = a.getHostAddress();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + request.port();
        } catch (UnknownHostException e) {
            return "";
        }
    }

    private ConnectRequest configuredServer(ConnectRequest request) throws IOException {
        String server = config.server().strip();
        if (server.isEmpty()) {
            throw new NotConfiguredException("no server given and none configured: vpn:connect <host>, or set server in "
                    + CONFIG_FILE);
        }
        return withServer(server, request);
    }

    /** The request aimed at {@code server}: host, host:port, [IPv6] or [IPv6]:port. */
    static ConnectRequest withServer(String server, ConnectRequest request) {
        String host = server;
        int port = request.port();
        int colon = server.lastIndexOf(':');
        if (server.startsWith("[")) { // [IPv6]:port or [IPv6]
            int close = server.indexOf(']');
            host = server.substring(1, close);
            if (server.startsWith("]:", close)) {
                port = Integer.parseInt(server.substring(close + 2));
            }
        } else if (colon > 0 && server.indexOf(':') == colon) { // host:port; a bare IPv6 address has several
            host = server.substring(0, colon);
            port = Integer.parseInt(server.substring(colon + 1));
        }
        return new ConnectRequest(host, port, request.transport(), request.splitTunnel(), request.plain());
    }

    private ClientEngine newEngine(ConnectRequest request) throws IOException {
        ClientConfig c = config;
        TunDevice t = Requirements.tun(tun, c.tun_target(), CONFIG_FILE);
        RouteConfigurator r = Requirements.routing(routing, c.routing_target(), CONFIG_FILE);
        requestedTransport = request.transport();
        List<Transport> candidates = candidates();
        Requirements.transport(candidates.isEmpty() ? null : candidates.get(0), Objects.requireNonNullElse(
                request.transport(), !c.transport().isBlank() ? c.transport() : c.transports()), transports, CONFIG_FILE);
        InetAddress address;
        try {
            address = InetAddress.getByName(request.host());
        } catch (UnknownHostException e) {
            throw new IOException("cannot resolve '" + request.host() + "': check the name, or give the server's address");
        }
        // The server's certificate must carry the name or address connected to (RFC 6125, RFC 2818 3.1):
        // an IP literal is checked against its IP subject alternative names, as browsers and OpenVPN's
        // verify-x509-name do, so another server certificate of the same CA is refused.
        String serverName = !c.server_name().isBlank() ? c.server_name().strip() : request.host();
        ClientSettings settings = settings(c, serverName, request.splitTunnel(), request.plain());
        String label = label(request);
        return new ClientEngine(t, r, settings, new InetSocketAddress(address, request.port()), label,
                this::notifyListeners, this::candidates);
    }

    /**
     * The transports to try now, in order: the one {@code vpn:connect -t} asked for, else the one
     * {@code transport} names, else those {@code transports} lists (the bound ones, in its order),
     * else the secure ones in rank order. Only the last two fall back ({@link Dialer}).
     */
    private List<Transport> candidates() {
        ClientConfig c = config;
        String one = requestedTransport != null ? requestedTransport : c.transport().strip();
        if (!one.isEmpty()) {
            Transport t = transports.choose(one);
            return t == null ? List.of() : List.of(t);
        }
        List<String> order = TransportChoice.types(c.transports());
        return order.isEmpty() ? transports.secureByRank() : transports.inOrder(order);
    }

    /**
     * The client's settings from its configuration and the request. A plain client needs its tunnel
     * address configured, since nothing will push one: that is checked here, before connecting.
     */
    static ClientSettings settings(ClientConfig c, String serverName, boolean split, boolean plain) {
        try {
            List<IpPrefix> addresses = IpPrefix.parseAll(c.address());
            boolean speakPlainly = plain || c.plain();
            if (speakPlainly && addresses.isEmpty()) {
                throw new IllegalArgumentException("a plain client (plain = true, or vpn:connect --plain) gets no"
                        + " address from its server: set address = <tunnel address/prefix>, e.g. address = 10.0.3.3/24,"
                        + " the one the server's admin set aside for this client");
            }
            if (c.plain_timeout_seconds() < 0) {
                throw new IllegalArgumentException("plain.timeout.seconds must not be negative: use e.g. 180, or 0 for never");
            }
            return new ClientSettings(serverName, addresses, c.mtu(), split || c.split_tunnel(), c.kill_switch(),
                    Duration.ofSeconds(c.handshake_timeout_seconds()), Duration.ofMillis(c.config_wait_millis()),
                    Duration.ofSeconds(c.keepalive_seconds()), Duration.ofSeconds(c.timeout_seconds()),
                    Duration.ofSeconds(c.reconnect_max_seconds()), speakPlainly,
                    Duration.ofSeconds(c.plain_timeout_seconds()), new DeadPeer(Duration.ofMillis(c.probe_after_millis()),
                            Duration.ofMillis(c.probe_interval_millis()), Duration.ofMillis(c.probe_dead_millis()),
                            Duration.ofSeconds(c.plain_silence_seconds())),
                    Duration.ofSeconds(Math.max(c.connect_timeout_seconds(), c.handshake_timeout_seconds())),
                    onOff("dns", c.dns())).withRekey(new Rekey.Limits(c.rekey_records(), Duration.ofSeconds(c.rekey_seconds())))
                    .withFallbackAfter(fallbackAfter(c.fallback_after_millis()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_FILE + ": " + e.getMessage(), e);
        }
    }

    private static Duration fallbackAfter(int millis) {
        if (millis < 100) {
            throw new IllegalArgumentException("fallback.after.millis = " + millis + " is too short for any handshake:"
                    + " use e.g. 2500");
        }
        return Duration.ofMillis(millis);
    }

    /** on/true or off/false, as a person writes it in a .cfg file. */
    static boolean onOff(String key, String value) {
        return switch (value == null ? "" : value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new IllegalArgumentException(key + " = " + value + " is neither on nor off");
        };
    }

    private void notifyListeners(ClientState from, ClientState to, String reason) {
        for (ClientListener l : listeners) {
            try {
                l.stateChanged(from, to, reason);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a client listener failed: " + e);
            }
        }
    }

    @Override
    public void disconnect() {
        ClientEngine e;
        synchronized (this) {
            e = engine;
            engineTun = null;
        }
        if (e != null) {
            e.close();
        }
    }

    @Override
    public synchronized ClientStatus status() {
        if (engine == null) {
            return new ClientStatus(ClientState.DISCONNECTED, "", List.of(), "", "", Traffic.NONE, null, Instant.now(), 0,
                    null, List.of(), false, 0, 0, false);
        }
        return engine.status();
    }
}

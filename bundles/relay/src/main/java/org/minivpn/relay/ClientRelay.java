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

    private final TransportChoice transports = new TransportChoice();
    private final List<ClientListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ClientConfig config;
    private volatile TunDevice tun;
    private volatile RouteConfigurator routing;
    private volatile String requestedTransport;
    private volatile Transport inUse;
    private ClientEngine engine; // guarded by this
    private TunDevice engineTun; // guarded by this

    @Activate
    public ClientRelay(ClientConfig config) {
        this.config = config;
    }

    @Modified
    void modified(ClientConfig changed) {
        String before = config.transport();
        this.config = changed;
        if (!before.equals(changed.transport())) {
            requestedTransport = null;
            retarget("the configured transport changed to '" + changed.transport() + "'");
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
    }

    void unbindTun(TunDevice t) {
        if (tun == t) {
            tun = null;
        }
        synchronized (this) {
            if (engineTun == t) {
                LOG.log(Level.WARNING, "the TUN device " + t.name() + " went away: disconnecting");
                disconnect();
            }
        }
    }

    @Reference(name = "transports", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTransport(Transport t, Map<String, Object> properties) {
        transports.add(t, properties); // used by the next session
    }

    void unbindTransport(Transport t) {
        transports.remove(t);
        if (inUse == t) {
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
        synchronized (this) {
            if (engine != null && engine.state() != ClientState.DISCONNECTED) {
                throw new IllegalStateException("already " + engine.state().name().toLowerCase() + " to "
                        + engine.status().server() + ": vpn:disconnect first");
            }
            e = newEngine(request);
            engine = e;
            engineTun = tun;
        }
        e.connect(); // outside the lock: status() stays answerable while the handshake runs
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
        Requirements.transport(currentTransport(), Objects.requireNonNullElse(request.transport(), c.transport()),
                transports, CONFIG_FILE);
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
        String label = (address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]" : address.getHostAddress())
                + ":" + request.port();
        return new ClientEngine(t, this::currentTransport, r, settings, new InetSocketAddress(address, request.port()),
                label, this::notifyListeners);
    }

    private Transport currentTransport() {
        String type = requestedTransport != null ? requestedTransport : config.transport();
        Transport t = transports.choose(type);
        inUse = t;
        return t;
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
                    Duration.ofSeconds(c.plain_timeout_seconds()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_FILE + ": " + e.getMessage(), e);
        }
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
            inUse = null;
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

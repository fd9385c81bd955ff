package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.VpnServer;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
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
 * The VPN server service. It exists as soon as the bundle is active; what it needs (a TUN device, a
 * transport, a routing configurator) is checked when it starts, with advice for what is missing.
 * It listens on every transport {@code transport} names ({@code dtls, tls}), each as it appears
 * and until it goes ({@link Listeners}), or on the highest-ranked secure one when none is named.
 * Configuration changes apply at the next start. {@link #start} and {@link #stop} are vpn:serve and
 * vpn:stop: they also set and clear {@code autostart} ({@link ServeAutostart}), so a server that
 * was serving serves again after a restart; stops of its own (the TUN device went away, the
 * component deactivates with the framework) leave it set.
 */
@Component(service = VpnServer.class, configurationPid = "org.minivpn.relay.server", immediate = true)
@Designate(ocd = ServerConfig.class)
public final class ServerRelay implements VpnServer {

    private static final Logger LOG = System.getLogger(ServerRelay.class.getName());
    private static final String CONFIG_FILE = "configs/org.minivpn.relay.server.cfg";

    private final TransportChoice transports = new TransportChoice();
    private volatile ServerConfig config;
    private volatile TunDevice tun;
    private volatile RouteConfigurator routing;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;
    /** Framework property: the installation folder, whose run/ holds the lease file. */
    static final String HOME_PROPERTY = "minivpn.home";

    private final String home; // the installation folder, or null for the working folder
    private ServerEngine engine; // guarded by this
    private TunDevice engineTun; // guarded by this
    private List<String> engineTypes = List.of(); // guarded by this: the types named when the engine started

    @Activate
    public ServerRelay(BundleContext context, ServerConfig config) {
        this.config = config;
        this.home = context.getProperty(HOME_PROPERTY);
        autostart();
    }

    @Modified
    void modified(ServerConfig changed) {
        this.config = changed;
        autostart();
    }

    @Deactivate
    void deactivate() {
        halt();
    }

    @Reference(name = "tun", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTun(TunDevice t) {
        tun = t;
        synchronized (this) {
            if (engine != null && engineTun == null && engine.tunName().equals(t.name())) {
                try {
                    engine.attach(t);
                    engineTun = t;
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.ERROR, "the TUN device " + t.name() + " came back but could not be set up again ("
                            + e.getMessage() + "): the server stops");
                    halt();
                }
            }
        }
        autostart();
    }

    /**
     * The TUN device in use went away, e.g. its bundle is being updated: the sessions stay and the
     * server waits for a device of the same name ({@link #bindTun}); vpn:stop ends the wait.
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
        transports.add(t, properties);
        listenNamed();
        autostart();
    }

    void unbindTransport(Transport t) {
        transports.remove(t);
        synchronized (this) {
            if (engine != null && engine.unlisten(t)) {
                listenNamed(); // another transport of the same type, if one is bound
            }
        }
    }

    /**
     * Opens the listeners of the named transports that are bound now and do not listen yet, so that
     * a transport bundle deployed while serving is served when {@code transport} names it. The
     * default (nothing named) stays the transport the server started with.
     */
    private synchronized void listenNamed() {
        if (engine == null) {
            return;
        }
        for (String type : engineTypes) {
            Transport t = transports.choose(type);
            if (t != null && !engine.listening().contains(type)) {
                try {
                    engine.listen(t);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.ERROR, "cannot serve over " + type + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * The transport types {@code transport} names, in order ("dtls, tls"); empty for the default,
     * the highest-ranked secure one only.
     */
    static List<String> named(ServerConfig c) {
        return TransportChoice.types(c.transport());
    }

    /** The bound transports to serve with: one per named type that is bound, or the default. */
    private List<Transport> serving(List<String> types) {
        if (types.isEmpty()) {
            Transport t = transports.choose("");
            return t == null ? List.of() : List.of(t);
        }
        return transports.inOrder(types);
    }

    @Reference(name = "routing", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindRouting(RouteConfigurator r) {
        routing = r;
        autostart();
    }

    void unbindRouting(RouteConfigurator r) {
        if (routing == r) {
            routing = null;
        }
    }

    private void autostart() {
        ServerConfig c = config;
        if (c == null || !c.autostart() || isRunning() || tun == null || serving(named(c)).isEmpty()
                || routing == null) {
            return;
        }
        try {
            startEngine(0);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "the server did not start from its configuration: " + e.getMessage());
        }
    }

    @Override
    public void start(int port) throws IOException {
        startEngine(port);
        ServeAutostart.record(configAdmin, true, port);
    }

    private synchronized void startEngine(int port) throws IOException {
        if (engine != null) {
            throw new IllegalStateException("the server is already running on " + engine.localAddress() + ": vpn:stop first");
        }
        ServerConfig c = config;
        TunDevice t = Requirements.tun(tun, c.tun_target(), CONFIG_FILE);
        List<String> types = named(c);
        List<Transport> serving = serving(types);
        Requirements.transport(serving.isEmpty() ? null : serving.get(0), String.join(", ", types), transports,
                CONFIG_FILE);
        for (String type : types) {
            if (transports.choose(type) == null) {
                LOG.log(Level.WARNING, "transport '" + type + "' named in " + CONFIG_FILE + " is not installed: the server"
                        + " serves over it once it is (e.g. extras/org.minivpn.transport." + type + ".jar into deploy/)");
            }
        }
        RouteConfigurator r = Requirements.routing(routing, c.routing_target(), CONFIG_FILE);
        ServerSettings settings = settings(c, port);
        if (!c.leases().isBlank()) {
            settings = settings.withLeases(leasesPath(c.leases().strip(), home));
        }
        ServerEngine e = new ServerEngine(t, serving, r, settings);
        e.start();
        engine = e;
        engineTun = t;
        engineTypes = types;
    }

    static ServerSettings settings(ServerConfig c, int port) {
        try {
            Map<String, InetAddress> statics = new HashMap<>();
            for (String s : c.statics()) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("static '" + s + "' is not identity=address");
                }
                statics.put(s.substring(0, eq).strip(), IpPrefix.parseAddress(s.substring(eq + 1)));
            }
            List<IpPrefix> routes = IpPrefix.parseAll(c.routes()).stream().map(IpPrefix::network).toList();
            return new ServerSettings(IpPrefix.parseAddress(c.listen()), port > 0 ? port : c.port(), IpPrefix.parse(c.pool()),
                    c.pool6().isBlank() ? null : IpPrefix.parse(c.pool6()), c.mtu(), routes, c.client_to_client(), statics,
                    c.egress().isBlank() ? null : c.egress().strip(), Duration.ofSeconds(c.keepalive_seconds()),
                    Duration.ofSeconds(c.timeout_seconds()), c.duplicate_identity(),
                    Duration.ofSeconds(c.address_quarantine_seconds()), plainTimeout(c.plain_timeout_seconds()),
                    PushedDns.configured(c.dns(), c.dns_search()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_FILE + ": " + e.getMessage(), e);
        }
    }

    /** {@code configured}, relative to the installation folder {@code home} (the working folder when null) unless absolute. */
    static Path leasesPath(String configured, String home) {
        Path p = Path.of(configured);
        return p.isAbsolute() ? p : Path.of(home == null || home.isBlank() ? "." : home).resolve(p);
    }

    private static Duration plainTimeout(int seconds) {
        if (seconds < 0) {
            throw new IllegalArgumentException("plain.timeout.seconds must not be negative: use e.g. 180, or 0 for never");
        }
        return Duration.ofSeconds(seconds);
    }

    @Override
    public void stop() {
        halt();
        ServeAutostart.record(configAdmin, false, 0);
    }

    private synchronized void halt() {
        if (engine != null) {
            engine.close();
            engine = null;
            engineTun = null;
            engineTypes = List.of();
            LOG.log(Level.INFO, "the server stopped");
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return engine != null;
    }

    @Override
    public synchronized String endpoint() {
        if (engine == null) {
            return "";
        }
        java.net.InetAddress a = engine.localAddress().getAddress();
        String host = a instanceof java.net.Inet6Address ? "[" + (a.isAnyLocalAddress() ? "::" : a.getHostAddress()) + "]"
                : a.getHostAddress();
        return host + ":" + engine.localAddress().getPort(); // [::]:23232 is the dual-stack socket: IPv4 and IPv6
    }

    @Override
    public synchronized List<String> routes() {
        return engine == null ? List.of() : engine.routes();
    }

    @Override
    public synchronized long relayFailures() {
        return engine == null ? 0 : engine.relayFailures();
    }

    @Override
    public synchronized ServerStatus status() {
        return engine == null ? ServerStatus.STOPPED : engine.status(endpoint());
    }

    @Override
    public synchronized List<SessionInfo> sessions() {
        return engine == null ? List.of() : engine.sessions();
    }

    @Override
    public synchronized int kick(String who) {
        return engine == null ? 0 : engine.kick(who);
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;

/**
 * What a client's tunnel holds in the kernel across its sessions: the TUN's addresses and MTU, and
 * the routes through it. Reconnects change neither unless the server pushes something else, so
 * nothing leaves outside the tunnel while the client is between sessions. Called on the connecting,
 * reconnect and closing threads, one at a time; read by any.
 */
final class ClientTunnel {

    private static final Logger LOG = System.getLogger(ClientTunnel.class.getName());

    private volatile TunDevice tun; // replaced when the device comes back as a new service
    private final RouteConfigurator routing; // null: routes are the user's business
    private final ClientSettings settings;
    private final InetSocketAddress server;
    private volatile PushedConfig config;
    private volatile AppliedRoutes routes;

    ClientTunnel(TunDevice tun, RouteConfigurator routing, ClientSettings settings, InetSocketAddress server) {
        this.tun = tun;
        this.routing = routing;
        this.settings = settings;
        this.server = server;
    }

    /** The configuration in use, or null before the first session's. */
    PushedConfig config() {
        return config;
    }

    /** The addresses of the configuration in use; empty before the first. */
    List<IpPrefix> addresses() {
        PushedConfig c = config;
        return c == null ? List.of() : c.addresses();
    }

    /** The first IPv4 tunnel address as an int, or 0 (what a reconnecting client asks for again). */
    int address4() {
        for (IpPrefix p : addresses()) {
            if (p.isIpv4()) {
                return AddressPool.toInt(p.address());
            }
        }
        return 0;
    }

    /** Sets the TUN's addresses and MTU from {@code pushed}, unless they are already so. */
    void apply(PushedConfig pushed) throws IOException {
        if (pushed.addresses().isEmpty()) {
            throw new IOException("no tunnel address: the server pushed none and none is configured");
        }
        PushedConfig old = config;
        if (old == null || !old.addresses().equals(pushed.addresses()) || old.mtu() != pushed.mtu()) {
            tun.configure(new TunSettings(pushed.mtu(), pushed.addresses()));
        }
        config = pushed;
    }

    /** Routes through the tunnel what the settings and the configuration in use ask for. */
    void route() throws IOException {
        PushedConfig c = config;
        if (routing != null && c != null) {
            PushedDns dns = c.dns().forClient(settings.dns());
            routes = routing.routeClient(new ClientRoutes(tun.name(), server.getAddress(), server.getPort(),
                    !settings.splitTunnel(), c.routes(), c.hasIpv6(), settings.killSwitch(), dns.servers(), dns.search()));
        }
    }

    /** What routing changed, for vpn:status. */
    List<String> routeChanges() {
        AppliedRoutes r = routes;
        return r == null ? List.of() : r.changes();
    }

    /**
     * Takes {@code t}, the same TUN device as a new service (its bundle was updated or restarted):
     * sets the addresses and MTU in use on it and routes through it again. The session is not
     * touched. The old device is gone, and the kernel removed the routes through it, so the routes
     * are undone and made anew.
     */
    void reattach(TunDevice t) throws IOException {
        tun = t;
        PushedConfig c = config;
        if (c != null) {
            t.configure(new TunSettings(c.mtu(), c.addresses()));
        }
        unroute();
        route();
    }

    /** Puts the routes back as they were. Idempotent. */
    void unroute() {
        AppliedRoutes r = routes;
        routes = null;
        if (r != null) {
            r.close();
        }
    }

    /** Takes the tunnel's addresses off the TUN, so that their connected routes go too. */
    void clear() {
        PushedConfig c = config;
        if (c != null) {
            try {
                tun.configure(new TunSettings(c.mtu(), List.of()));
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "could not remove the tunnel addresses from " + tun.name() + ": " + e.getMessage());
            }
        }
    }
}

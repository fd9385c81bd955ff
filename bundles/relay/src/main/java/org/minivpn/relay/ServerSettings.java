package org.minivpn.relay;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.minivpn.api.IpPrefix;

/**
 * What a server serves, parsed from its configuration.
 *
 * @param listen the local address to bind (:: for all of both families, 0.0.0.0 for all IPv4 ones)
 * @param port the UDP port
 * @param pool4 the IPv4 client pool; its first host is the server's tunnel address
 * @param pool6 the IPv6 client pool, or null
 * @param mtu the tunnel MTU pushed to clients and set on the server's TUN
 * @param routes routes pushed to clients (used by split-tunnel clients; full-tunnel ones route all)
 * @param clientToClient true to let clients reach each other through the server
 * @param statics static tunnel addresses by client identity (inside the pools)
 * @param egress the interface NATed traffic leaves by, or null for the default route's
 * @param keepalive how often each side pings the other
 * @param timeout silence after which a peer is declared dead
 * @param duplicateIdentity true to let one identity hold several sessions (and addresses) at once;
 *     false to let a new session replace the identity's old one
 * @param addressQuarantine how long an address freed by one identity is kept from the others
 * @param plainTimeout how long a plain peer (one that never said HELLO) may send nothing before it
 *     is dropped; zero for never
 * @param dns the resolvers and search domains pushed to clients, or {@link PushedDns#NONE}
 * @param leases the file that keeps who held which address across restarts ({@link Leases}), or null
 *     for none
 */
record ServerSettings(InetAddress listen, int port, IpPrefix pool4, IpPrefix pool6, int mtu, List<IpPrefix> routes,
        boolean clientToClient, Map<String, InetAddress> statics, String egress, Duration keepalive, Duration timeout,
        boolean duplicateIdentity, Duration addressQuarantine, Duration plainTimeout, PushedDns dns, Path leases) {

    ServerSettings {
        routes = List.copyOf(routes);
        statics = Map.copyOf(statics);
        dns = dns == null ? PushedDns.NONE : dns;
    }

    /** Settings that push no resolvers and keep no lease file. */
    ServerSettings(InetAddress listen, int port, IpPrefix pool4, IpPrefix pool6, int mtu, List<IpPrefix> routes,
            boolean clientToClient, Map<String, InetAddress> statics, String egress, Duration keepalive, Duration timeout,
            boolean duplicateIdentity, Duration addressQuarantine, Duration plainTimeout) {
        this(listen, port, pool4, pool6, mtu, routes, clientToClient, statics, egress, keepalive, timeout,
                duplicateIdentity, addressQuarantine, plainTimeout, PushedDns.NONE);
    }

    /** Settings that keep no lease file. */
    ServerSettings(InetAddress listen, int port, IpPrefix pool4, IpPrefix pool6, int mtu, List<IpPrefix> routes,
            boolean clientToClient, Map<String, InetAddress> statics, String egress, Duration keepalive, Duration timeout,
            boolean duplicateIdentity, Duration addressQuarantine, Duration plainTimeout, PushedDns dns) {
        this(listen, port, pool4, pool6, mtu, routes, clientToClient, statics, egress, keepalive, timeout, duplicateIdentity,
                addressQuarantine, plainTimeout, dns, null);
    }

    /** The same settings with the lease file {@code file}. */
    ServerSettings withLeases(Path file) {
        return new ServerSettings(listen, port, pool4, pool6, mtu, routes, clientToClient, statics, egress, keepalive,
                timeout, duplicateIdentity, addressQuarantine, plainTimeout, dns, file);
    }
}

package org.minivpn.api.route;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import org.minivpn.api.IpPrefix;

/**
 * What a client asks of its routing.
 *
 * @param tunName the TUN interface the tunnel uses
 * @param server the server's underlay address; the tunnel's own traffic to it stays outside the tunnel
 *     (a configurator may do that by the firewall mark of the tunnel's socket, as wg-quick does,
 *     or by a host route)
 * @param serverPort the server's UDP port (for the kill switch's exception)
 * @param fullTunnel true to send all traffic through the tunnel (by policy routing, or as the halves
 *     0.0.0.0/1 and 128.0.0.0/1), and
 *     ::/1 and 8000::/1 also when the tunnel carries no IPv6, so that no IPv6 leaves beside it (the
 *     consumer drops that IPv6 and answers it with ICMPv6 unreachable, as wg-quick's {@code ::/0}
 *     does); false for split tunnel, only {@code routes}
 * @param routes routes pushed by the server or configured, always through the tunnel
 * @param ipv6 true when the tunnel carries IPv6 (the client has a tunnel IPv6 address)
 * @param killSwitch true to drop all traffic that would leave other than through the tunnel or to
 *     the server, until the routes are closed; with {@code dns}, also DNS to any other resolver
 * @param dns the resolvers the server pushed, to be used while the routes are applied (and the
 *     original resolver configuration restored when they are closed, also after a crash); empty to
 *     leave name resolution alone
 * @param dnsSearch the search domains the server pushed, used only with {@code dns}
 */
public record ClientRoutes(String tunName, InetAddress server, int serverPort, boolean fullTunnel,
        List<IpPrefix> routes, boolean ipv6, boolean killSwitch, List<InetAddress> dns, List<String> dnsSearch) {

    public ClientRoutes {
        Objects.requireNonNull(tunName, "tunName");
        Objects.requireNonNull(server, "server");
        routes = List.copyOf(routes);
        dns = List.copyOf(dns);
        dnsSearch = List.copyOf(dnsSearch);
    }

    /** Routes that leave name resolution alone (no pushed resolvers). */
    public ClientRoutes(String tunName, InetAddress server, int serverPort, boolean fullTunnel, List<IpPrefix> routes,
            boolean ipv6, boolean killSwitch) {
        this(tunName, server, serverPort, fullTunnel, routes, ipv6, killSwitch, List.of(), List.of());
    }
}

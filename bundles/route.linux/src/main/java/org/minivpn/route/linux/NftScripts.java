package org.minivpn.route.linux;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ServerRoutes;

/**
 * The nftables tables this bundle creates. Each script creates one table of our own in one
 * transaction ({@code nft -f -}): the kernel applies all of it or nothing, and {@code create}
 * fails rather than reuse a table that is already there. Undo is deleting that table; no other
 * table or rule is ever touched.
 */
final class NftScripts {

    /** The server's table: masquerade, forward filter and MSS clamp. */
    static final String SERVER_TABLE = "minivpn";

    /** The client's kill switch table. */
    static final String KILL_SWITCH_TABLE = "minivpn_killswitch";

    private NftScripts() {
    }

    /**
     * Drops everything that would leave other than through {@code tun} or to the server's
     * endpoint, in the output and forward hooks. Loopback, DHCP and IPv6 neighbour discovery stay
     * allowed, so the underlay keeps its address and can reach its gateway to carry the tunnel.
     * Incoming traffic is not filtered: with nothing allowed out, nothing can be answered, and
     * ICMP errors from the path (fragmentation needed) still reach the tunnel's socket.
     *
     * <p>Under policy routing ({@code mark} non-zero) the tunnel's own socket is let out by its
     * mark instead of by the server's address, as wg-quick's rules key on the mark: only a socket
     * that privileged code marked (SO_MARK needs CAP_NET_ADMIN) passes, not any process's traffic
     * to the server.
     *
     * <p>With {@code dns} (the resolvers the server pushed), DNS (port 53, and 853 for DNS over
     * TLS) to any other address is dropped too, through the tunnel as well: nothing but the pushed
     * resolvers learns what this machine looks up, as OpenVPN's block-outside-dns does on Windows.
     * Loopback stays open for a local stub (systemd-resolved's 127.0.0.53), whose own queries then
     * reach only the pushed resolvers.
     *
     * @param serverPort the server's UDP port, or 0 to allow any port of the server
     * @param mark the tunnel socket's firewall mark, or 0 to let out the server's endpoint instead
     * @param dns the pushed resolvers, or empty to leave DNS through the tunnel alone
     */
    static String killSwitch(String tun, InetAddress server, int serverPort, int mark, List<InetAddress> dns) {
        String family = server instanceof Inet4Address ? "ip" : "ip6";
        String port = serverPort > 0 ? " udp dport " + serverPort : "";
        String tunnelSocket = mark != 0 ? "meta mark 0x" + Integer.toHexString(mark)
                : family + " daddr " + Addresses.text(server) + port;
        String dnsDrops = dnsDrops(dns);
        return "create table inet " + KILL_SWITCH_TABLE + "\n"
                + "table inet " + KILL_SWITCH_TABLE + " {\n"
                + (dnsDrops.isEmpty() ? "" : "  counter " + DNS_DROPPED + " {\n  }\n")
                + "  chain output {\n"
                + "    type filter hook output priority filter; policy drop;\n"
                + "    oifname \"lo\" accept\n"
                + "    " + tunnelSocket + " accept\n"
                + dnsDrops
                + "    oifname " + quote(tun) + " accept\n"
                + "    udp sport 68 udp dport 67 accept\n"
                + "    meta nfproto ipv6 udp sport 546 udp dport 547 accept\n"
                + "    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept\n"
                + "  }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy drop;\n"
                + dnsDrops
                + "    iifname " + quote(tun) + " accept\n"
                + "    oifname " + quote(tun) + " accept\n"
                + "  }\n"
                + "}\n";
    }

    /** The kill switch without DNS rules. */
    static String killSwitch(String tun, InetAddress server, int serverPort, int mark) {
        return killSwitch(tun, server, serverPort, mark, List.of());
    }

    /** Named counter of the kill switch: DNS queries to resolvers other than the pushed ones. */
    static final String DNS_DROPPED = "dns_dropped";

    /** Rules that drop DNS to all but {@code dns}, per family (a family without a pushed resolver: all of it). */
    private static String dnsDrops(List<InetAddress> dns) {
        if (dns.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        for (boolean v4 : new boolean[] {true, false}) {
            List<String> mine = dns.stream().filter(a -> (a instanceof Inet4Address) == v4).map(Addresses::text).toList();
            s.append("    meta nfproto ").append(v4 ? "ipv4" : "ipv6")
                    .append(" meta l4proto { tcp, udp } th dport { 53, 853 }");
            if (!mine.isEmpty()) {
                s.append(v4 ? " ip" : " ip6").append(" daddr != { ").append(String.join(", ", mine)).append(" }");
            }
            s.append(" counter name ").append(DNS_DROPPED).append(" drop\n");
        }
        return s.toString();
    }

    /** The client's table that restores the tunnel socket's mark on the server's replies. */
    static final String MARK_TABLE = "minivpn_mark";

    /**
     * Saves the mark of the tunnel's socket on its UDP connections as they leave, and puts it on
     * their replies as they come in, as wg-quick's {@code premangle}/{@code postmangle} chains do.
     */
    static String markReplies(int mark) {
        String m = "0x" + Integer.toHexString(mark);
        return "create table inet " + MARK_TABLE + "\n"
                + "table inet " + MARK_TABLE + " {\n"
                + "  chain premangle {\n"
                + "    type filter hook prerouting priority mangle; policy accept;\n"
                + "    meta l4proto udp ct mark " + m + " meta mark set ct mark\n"
                + "  }\n"
                + "  chain postmangle {\n"
                + "    type filter hook postrouting priority mangle; policy accept;\n"
                + "    meta l4proto udp meta mark " + m + " ct mark set meta mark\n"
                + "  }\n"
                + "}\n";
    }

    /** Named counter: packets from outside towards the tunnel that no client asked for. */
    static final String TO_TUNNEL_DROPPED = "to_tunnel_dropped";

    /** Named counter: packets from one client to another while client-to-client is off. */
    static final String CLIENT_TO_CLIENT_DROPPED = "client_to_client_dropped";

    /**
     * Named counter: packets the kernel would forward only because we turned forwarding on,
     * neither entering nor leaving the tunnel.
     */
    static final String NOT_ROUTED_DROPPED = "not_routed_dropped";

    /**
     * The server's table. Its forward chain:
     * <ul>
     * <li>clamps the MSS of TCP SYNs that cross the tunnel, so that no TCP segment is larger than
     *     the tunnel carries;
     * <li>from the tunnel back into it (client to client) accepts only with
     *     {@code clientToClient}, else counts and drops, as OpenVPN without
     *     {@code client-to-client};
     * <li>accepts what the clients send out;
     * <li>into the tunnel from outside accepts only replies to connections a client opened
     *     ({@code ct state established,related}, ICMP errors included), and counts and drops the
     *     rest: a host next to the server with a route to the pool through it must not reach the
     *     clients, whose only firewall may be this one (WireGuard and OpenVPN leave that to the
     *     administrator; we do not);
     * <li>where forwarding was off before us, drops what we would otherwise forward between the
     *     server's other interfaces: IPv4 entering {@code ipv4Guard}, and all IPv6 with
     *     {@code ipv6Guard} (IPv6 forwarding is only global in Linux), so the server does not
     *     become a router for its neighbours.
     * </ul>
     * Its policy is accept: it adds to what other tables decide and never overrules their drops.
     * The postrouting chain masquerades the tunnel networks out of {@code egress}.
     *
     * @param ipv4Guard the interface whose IPv4 forwarding we turned on besides the tunnel's, or
     *     null for none
     * @param ipv6Guard true when we turned global IPv6 forwarding on
     */
    static String server(ServerRoutes r, String egress, String ipv4Guard, boolean ipv6Guard) {
        String tun = quote(r.tunName());
        StringBuilder s = new StringBuilder();
        s.append("create table inet ").append(SERVER_TABLE).append('\n');
        s.append("table inet ").append(SERVER_TABLE).append(" {\n");
        for (String counter : List.of(TO_TUNNEL_DROPPED, CLIENT_TO_CLIENT_DROPPED, NOT_ROUTED_DROPPED)) {
            s.append("  counter ").append(counter).append(" {\n  }\n");
        }
        s.append("  chain forward {\n");
        s.append("    type filter hook forward priority filter; policy accept;\n");
        for (String dir : List.of("iifname", "oifname")) {
            if (r.mtu() > 0) {
                s.append(clamp("ipv4", dir, tun, r.mtu() - 40));
                s.append(clamp("ipv6", dir, tun, r.mtu() - 60));
            } else {
                s.append("    ").append(dir).append(' ').append(tun)
                        .append(" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu\n");
            }
        }
        s.append("    iifname ").append(tun).append(" oifname ").append(tun)
                .append(r.clientToClient() ? " accept\n" : " counter name " + CLIENT_TO_CLIENT_DROPPED + " drop\n");
        s.append("    iifname ").append(tun).append(" accept\n");
        s.append("    oifname ").append(tun).append(" ct state established,related accept\n");
        s.append("    oifname ").append(tun).append(" counter name ").append(TO_TUNNEL_DROPPED).append(" drop\n");
        if (ipv4Guard != null) {
            s.append("    meta nfproto ipv4 iifname ").append(quote(ipv4Guard)).append(" counter name ")
                    .append(NOT_ROUTED_DROPPED).append(" drop\n");
        }
        if (ipv6Guard) {
            s.append("    meta nfproto ipv6 counter name ").append(NOT_ROUTED_DROPPED).append(" drop\n");
        }
        s.append("  }\n");
        s.append("  chain postrouting {\n");
        s.append("    type nat hook postrouting priority srcnat; policy accept;\n");
        for (IpPrefix net : r.tunnelNetworks()) {
            s.append("    oifname ").append(quote(egress)).append(net.isIpv4() ? " ip" : " ip6")
                    .append(" saddr ").append(Addresses.text(net)).append(" masquerade\n");
        }
        s.append("  }\n");
        s.append("}\n");
        return s.toString();
    }

    private static String clamp(String nfproto, String dir, String quotedTun, int mss) {
        return "    meta nfproto " + nfproto + " " + dir + " " + quotedTun
                + " tcp flags & (syn | rst) == syn tcp option maxseg size > " + mss
                + " tcp option maxseg size set " + mss + "\n";
    }

    /**
     * An interface name as an nft string. Names are checked by {@link Interfaces#check} first, so
     * they hold no quote or space.
     */
    private static String quote(String name) {
        return "\"" + Interfaces.check(name) + "\"";
    }
}

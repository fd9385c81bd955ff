package org.minivpn.route.linux;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import org.minivpn.api.IpPrefix;

/**
 * The nftables tables this bundle creates. Each script creates one table of our own in one
 * transaction ({@code nft -f -}): the kernel applies all of it or nothing, and {@code create}
 * fails rather than reuse a table that is already there. Undo is deleting that table; no other
 * table or rule is ever touched.
 */
final class NftScripts {

    /** The server's table: masquerade, forward accept and MSS clamp. */
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
     * @param serverPort the server's UDP port, or 0 to allow any port of the server
     */
    static String killSwitch(String tun, InetAddress server, int serverPort) {
        String family = server instanceof Inet4Address ? "ip" : "ip6";
        String port = serverPort > 0 ? " udp dport " + serverPort : "";
        return "create table inet " + KILL_SWITCH_TABLE + "\n"
                + "table inet " + KILL_SWITCH_TABLE + " {\n"
                + "  chain output {\n"
                + "    type filter hook output priority filter; policy drop;\n"
                + "    oifname \"lo\" accept\n"
                + "    oifname " + quote(tun) + " accept\n"
                + "    " + family + " daddr " + Addresses.text(server) + port + " accept\n"
                + "    udp sport 68 udp dport 67 accept\n"
                + "    meta nfproto ipv6 udp sport 546 udp dport 547 accept\n"
                + "    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept\n"
                + "  }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy drop;\n"
                + "    iifname " + quote(tun) + " accept\n"
                + "    oifname " + quote(tun) + " accept\n"
                + "  }\n"
                + "}\n";
    }

    /**
     * Masquerades the tunnel networks out of {@code egress}, accepts forwarding to and from
     * {@code tun}, and clamps the MSS of TCP SYNs that cross the tunnel so that no TCP segment is
     * larger than the tunnel carries. Its forward chain's policy is accept: it adds to what other
     * tables decide and never overrules their drops.
     *
     * @param mtu the tunnel MTU; 0 or less to clamp to the route's MTU instead
     */
    static String server(String tun, List<IpPrefix> tunnelNetworks, String egress, int mtu) {
        StringBuilder s = new StringBuilder();
        s.append("create table inet ").append(SERVER_TABLE).append('\n');
        s.append("table inet ").append(SERVER_TABLE).append(" {\n");
        s.append("  chain forward {\n");
        s.append("    type filter hook forward priority filter; policy accept;\n");
        for (String dir : List.of("iifname", "oifname")) {
            if (mtu > 0) {
                s.append(clamp("ipv4", dir, tun, mtu - 40));
                s.append(clamp("ipv6", dir, tun, mtu - 60));
            } else {
                s.append("    ").append(dir).append(' ').append(quote(tun))
                        .append(" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu\n");
            }
        }
        s.append("    iifname ").append(quote(tun)).append(" accept\n");
        s.append("    oifname ").append(quote(tun)).append(" accept\n");
        s.append("  }\n");
        s.append("  chain postrouting {\n");
        s.append("    type nat hook postrouting priority srcnat; policy accept;\n");
        for (IpPrefix net : tunnelNetworks) {
            s.append("    oifname ").append(quote(egress)).append(net.isIpv4() ? " ip" : " ip6")
                    .append(" saddr ").append(Addresses.text(net)).append(" masquerade\n");
        }
        s.append("  }\n");
        s.append("}\n");
        return s.toString();
    }

    private static String clamp(String nfproto, String dir, String tun, int mss) {
        return "    meta nfproto " + nfproto + " " + dir + " " + quote(tun)
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

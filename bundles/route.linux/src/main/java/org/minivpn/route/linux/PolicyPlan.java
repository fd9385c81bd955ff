package org.minivpn.route.linux;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ClientRoutes;

/**
 * A full tunnel by policy routing, as wg-quick does it for WireGuard: the tunnel's routes in a
 * table of their own ({@link PolicyRouting#table()}: a default route into the TUN, and the pushed
 * routes), and two rules, for IPv4 and IPv6 alike:
 * <pre>
 * ip rule add not fwmark M table T                      everything but the tunnel's socket: table T
 * ip rule add table main suppress_prefixlength 0        first, main's routes but its default
 * </pre>
 * So no host route to the server is needed, and none can be lost: when the client's address moves
 * on its link, the kernel drops the routes through the old one, but the marked socket follows the
 * main table's default route wherever it goes. The main table's more specific routes (the client's
 * own networks) still win over the tunnel, so a pushed route never takes over the client's own
 * network. Replies to the marked socket get its mark back, so that strict reverse path filtering
 * lets them in. IPv6 goes into the tunnel also when it carries none (the relay drops it), as an
 * unreachable default where the TUN has IPv6 disabled. The kill switch lets out the mark instead of
 * the server's address. The original routes are never touched.
 */
final class PolicyPlan {

    private PolicyPlan() {
    }

    static List<Change> of(ClientRoutes r, PolicyRouting policy, Commands commands) throws IOException {
        String tun = Interfaces.check(r.tunName());
        String table = policy.tableText();
        for (String family : List.of("-4", "-6")) {
            Commands.Result shown = commands.run(commands.argv("ip", family, "route", "show", "table", table), null);
            if (shown.ok() && !shown.output().isBlank()) {
                throw new IOException("routing table " + table + " already holds routes (`ip " + family
                        + " route show table " + table + "`): another tunnel uses it; choose another table in "
                        + LinuxRouteConfigurator.PID + " or remove them");
            }
        }
        RouteLookup.Path path = RouteLookup.route(commands, r.server(), policy.markText());
        if (path.device().equals(tun)) {
            throw new IOException("the route to the server " + Addresses.text(r.server()) + " already goes through"
                    + " the tunnel " + tun + ": close the routes of the earlier connection first");
        }
        List<Change> changes = new ArrayList<>();
        if (r.killSwitch()) {
            changes.add(ClientPlan.killSwitch(r, policy.mark(), commands));
        }
        changes.add(markReplies(policy, commands));
        srcValidMark(commands).ifPresent(changes::add);
        ClientPlan.Ipv6 ipv6 = ClientPlan.ipv6(tun, commands);
        changes.add(route("-4", List.of("default", "dev", tun), Change.Skip.NEVER, table, commands));
        if (ipv6 == ClientPlan.Ipv6.ON) {
            changes.add(route("-6", List.of("default", "dev", tun), Change.Skip.IF_IPV6_DISABLED, table, commands));
        } else if (ipv6 == ClientPlan.Ipv6.OFF_ON_TUN) {
            changes.add(route("-6", List.of("unreachable", "default"), Change.Skip.IF_IPV6_DISABLED, table, commands));
        }
        for (IpPrefix p : r.routes()) {
            if (p.prefixLength() > 0 && (p.isIpv4() || ipv6 == ClientPlan.Ipv6.ON)) {
                changes.add(route(p.isIpv4() ? "-4" : "-6", List.of(Addresses.text(p.network()), "dev", tun),
                        p.isIpv4() ? Change.Skip.IF_PRESENT : Change.Skip.IF_IPV6_DISABLED, table, commands));
            }
        }
        for (String family : ipv6 == ClientPlan.Ipv6.NOT_IN_KERNEL ? List.of("-4") : List.of("-4", "-6")) {
            Change.Skip skip = family.equals("-4") ? Change.Skip.NEVER : Change.Skip.IF_IPV6_DISABLED;
            changes.add(rule(family, List.of("not", "fwmark", policy.markText(), "table", table),
                    "all but the tunnel's own socket (mark " + policy.markText() + ") into the tunnel", skip, commands));
            changes.add(rule(family, List.of("table", "main", "suppress_prefixlength", "0"),
                    "the main table's routes but its default first", skip, commands));
        }
        return changes;
    }

    /**
     * Gives the server's replies the tunnel socket's mark (saved on the connection as it leaves,
     * restored as replies come in), as wg-quick's premangle and postmangle chains do: reverse path
     * filtering ({@code rp_filter = 1}) looks the reply's source up as if routing to it, and
     * unmarked that lookup ends in the tunnel, not on the interface the reply came in by, so the
     * kernel would drop every reply. With the mark (and {@code src_valid_mark}) it ends in the main
     * table, where the reply did come from.
     */
    private static Change markReplies(PolicyRouting policy, Commands commands) {
        return new Change("nft table inet " + NftScripts.MARK_TABLE + ": replies to the tunnel's socket carry its mark "
                + policy.markText() + " (for reverse path filtering)", commands.argv("nft", "-f", "-"),
                NftScripts.markReplies(policy.mark()),
                commands.argv("nft", "delete", "table", "inet", NftScripts.MARK_TABLE), Change.Skip.NEVER);
    }

    /**
     * {@code net.ipv4.conf.all.src_valid_mark = 1}, as wg-quick sets it: reverse path filtering
     * then looks up a packet's source with the packet's mark. Set back to its value now on undo;
     * nothing when it is on. IPv6 has no reverse path filter of this kind.
     */
    private static Optional<Change> srcValidMark(Commands commands) throws IOException {
        String key = "net.ipv4.conf.all.src_valid_mark";
        String old = commands.check(commands.argv("sysctl", "-n", key), null).strip();
        if (old.equals("1")) {
            return Optional.empty();
        }
        if (!old.matches("[0-9]+")) {
            throw new IOException("cannot read " + key + ": `sysctl -n " + key + "` printed '" + old + "'");
        }
        return Optional.of(new Change("sysctl " + key + "=1 (was " + old + ")",
                commands.argv("sysctl", "-q", "-w", key + "=1"), null,
                commands.argv("sysctl", "-q", "-w", key + "=" + old), Change.Skip.NEVER));
    }

    private static Change route(String family, List<String> spec, Change.Skip skip, String table, Commands commands) {
        List<String> full = new ArrayList<>(spec);
        full.addAll(List.of("table", table, "proto", ClientPlan.PROTO));
        return new Change("route " + (family.equals("-6") ? "-6 " : "") + String.join(" ", spec) + " table " + table,
                commands.argv(ClientPlan.concat(List.of("ip", family, "route", "add"), full)), null,
                commands.argv(ClientPlan.concat(List.of("ip", family, "route", "del"), full)), skip);
    }

    /** A rule that carries our protocol number, so its delete can only remove this one. */
    private static Change rule(String family, List<String> spec, String why, Change.Skip skip, Commands commands) {
        List<String> full = new ArrayList<>(spec);
        full.addAll(List.of("protocol", ClientPlan.PROTO));
        return new Change("rule " + (family.equals("-6") ? "-6 " : "") + String.join(" ", spec) + " (" + why + ")",
                commands.argv(ClientPlan.concat(List.of("ip", family, "rule", "add"), full)), null,
                commands.argv(ClientPlan.concat(List.of("ip", family, "rule", "del"), full)), skip);
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ServerRoutes;

/**
 * The changes that let a server forward and NAT its clients' traffic, in the order they are
 * applied: the nftables table first, then forwarding, so that no client packet is ever forwarded
 * without being filtered and masqueraded (undo runs the other way round).
 *
 * <p>Forwarding is turned on as narrowly as Linux allows. IPv4 forwarding is decided by the
 * interface a packet comes in by ({@code net.ipv4.conf.<if>.forwarding}), so only the TUN (the
 * clients' traffic out) and the egress (the replies in) get it, never the global
 * {@code net.ipv4.ip_forward}, which would switch on every interface. IPv6 has no such switch per
 * interface: {@code net.ipv6.conf.all.forwarding} is the only one, and when we turn it on, the
 * table drops forwarded IPv6 that neither enters nor leaves the TUN, as it drops IPv4 from the
 * egress that does not go into the TUN when the egress's forwarding was ours.
 */
final class ServerPlan {

    static final String IPV6_FORWARDING = "net.ipv6.conf.all.forwarding";

    private ServerPlan() {
    }

    /** The key of an interface's IPv4 forwarding switch, '/'-separated since a name may hold a '.'. */
    static String ipv4Forwarding(String device) {
        return "net/ipv4/conf/" + Interfaces.check(device) + "/forwarding";
    }

    /** Reads the egress interface and forwarding settings now, and returns the changes. */
    static List<Change> of(ServerRoutes r, Commands commands) throws IOException {
        String tun = Interfaces.check(r.tunName());
        if (r.tunnelNetworks().isEmpty()) {
            throw new IllegalArgumentException("no tunnel network given: the server needs its client address pool"
                    + " (e.g. 10.8.0.0/24) to masquerade it");
        }
        boolean v4 = r.tunnelNetworks().stream().anyMatch(IpPrefix::isIpv4);
        boolean v6 = r.tunnelNetworks().stream().anyMatch(p -> !p.isIpv4());
        String egress = r.egressInterface() == null || r.egressInterface().isBlank()
                ? RouteLookup.defaultDevice(commands, v4 ? "-4" : "-6")
                : Interfaces.check(r.egressInterface());
        if (egress.equals(tun)) {
            throw new IllegalArgumentException("the egress interface is the tunnel " + tun
                    + " itself: set egressInterface to the interface that reaches the internet");
        }
        List<Change> forwarding = new ArrayList<>();
        String ipv4Guard = null;
        boolean ipv6Guard = false;
        if (v4) {
            forwarding(ipv4Forwarding(tun), commands, forwarding);
            if (forwarding(ipv4Forwarding(egress), commands, forwarding)) {
                ipv4Guard = egress;
            }
        }
        if (v6) {
            ipv6Guard = forwarding(IPV6_FORWARDING, commands, forwarding);
        }
        String clamp = r.mtu() > 0 ? "clamps TCP MSS to MTU " + r.mtu() : "clamps TCP MSS to the route MTU";
        List<Change> changes = new ArrayList<>();
        changes.add(new Change("nft table inet " + NftScripts.SERVER_TABLE + ": masquerades "
                + r.tunnelNetworks().stream().map(Addresses::text).toList() + " out of " + egress
                + ", lets into " + tun + " only replies to its clients"
                + (r.clientToClient() ? " and client-to-client" : " (no client-to-client)")
                + (ipv4Guard != null ? ", forwards no IPv4 from " + egress + " but into " + tun : "")
                + (ipv6Guard ? ", forwards no IPv6 but through " + tun : "") + ", " + clamp,
                commands.argv("nft", "-f", "-"), NftScripts.server(r, egress, ipv4Guard, ipv6Guard),
                commands.argv("nft", "delete", "table", "inet", NftScripts.SERVER_TABLE), Change.Skip.NEVER));
        changes.addAll(forwarding);
        return changes;
    }

    /**
     * Turns a forwarding sysctl on, to be set back to the value it has now; nothing if it is on.
     *
     * @return true when it was off, so that we turn it on
     */
    private static boolean forwarding(String key, Commands commands, List<Change> changes) throws IOException {
        String old = commands.check(commands.argv("sysctl", "-n", key), null).strip();
        if (!old.matches("[0-9]+")) {
            throw new IOException("cannot read " + key + ": `sysctl -n " + key + "` printed '" + old + "'");
        }
        if (!old.equals("0")) {
            return false;
        }
        changes.add(new Change("sysctl " + key + "=1 (was " + old + ")",
                commands.argv("sysctl", "-q", "-w", key + "=1"), null,
                commands.argv("sysctl", "-q", "-w", key + "=" + old), Change.Skip.NEVER));
        return true;
    }
}

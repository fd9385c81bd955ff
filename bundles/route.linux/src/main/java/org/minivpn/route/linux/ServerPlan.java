package org.minivpn.route.linux;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ServerRoutes;

/**
 * The changes that let a server forward and NAT its clients' traffic, in the order they are
 * applied: the nftables table first, then forwarding, so that no client packet is ever forwarded
 * without being masqueraded (undo runs the other way round).
 */
final class ServerPlan {

    static final String IPV4_FORWARDING = "net.ipv4.ip_forward";
    static final String IPV6_FORWARDING = "net.ipv6.conf.all.forwarding";

    private ServerPlan() {
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
        List<Change> changes = new ArrayList<>();
        String clamp = r.mtu() > 0 ? "clamps TCP MSS to MTU " + r.mtu() : "clamps TCP MSS to the route MTU";
        changes.add(new Change("nft table inet " + NftScripts.SERVER_TABLE + ": masquerades " + r.tunnelNetworks().stream().map(Addresses::text).toList()
                + " out of " + egress + ", accepts forwarding for " + tun + ", " + clamp,
                commands.argv("nft", "-f", "-"), NftScripts.server(tun, r.tunnelNetworks(), egress, r.mtu()),
                commands.argv("nft", "delete", "table", "inet", NftScripts.SERVER_TABLE), Change.Skip.NEVER));
        if (v4) {
            forwarding(IPV4_FORWARDING, commands, changes);
        }
        if (v6) {
            forwarding(IPV6_FORWARDING, commands, changes);
        }
        return changes;
    }

    /** Turns a forwarding sysctl on, to be set back to the value it has now; nothing if it is on. */
    private static void forwarding(String key, Commands commands, List<Change> changes) throws IOException {
        String old = commands.check(commands.argv("sysctl", "-n", key), null).strip();
        if (!old.matches("[0-9]+")) {
            throw new IOException("cannot read " + key + ": `sysctl -n " + key + "` printed '" + old + "'");
        }
        if (old.equals("1")) {
            return;
        }
        changes.add(new Change("sysctl " + key + "=1 (was " + old + ")",
                commands.argv("sysctl", "-q", "-w", key + "=1"), null,
                commands.argv("sysctl", "-q", "-w", key + "=" + old), Change.Skip.NEVER));
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ClientRoutes;

/**
 * The changes that route a client's traffic into its tunnel, in the order they are applied: the
 * kill switch first (so nothing leaks while routes change), the host route that keeps the
 * server's own traffic outside the tunnel, then the routes through the tunnel. The original
 * default route is never touched: the two halves 0.0.0.0/1 and 128.0.0.0/1 are more specific, so
 * they win while they exist and the default route is back in charge as soon as they are gone.
 */
final class ClientPlan {

    /**
     * The rtm_protocol our routes carry. A delete names it too, so it can only remove a route this
     * bundle added, never an equal one an administrator made.
     */
    static final String PROTO = "77";

    private static final List<IpPrefix> FULL_V4 = List.of(prefix("0.0.0.0", 1), prefix("128.0.0.0", 1));
    private static final List<IpPrefix> FULL_V6 = List.of(prefix("::", 1), prefix("8000::", 1));

    private ClientPlan() {
    }

    /** Reads the route to the server now, and returns the changes. Changes nothing itself. */
    static List<Change> of(ClientRoutes r, Commands commands) throws IOException {
        String tun = Interfaces.check(r.tunName());
        List<Change> changes = new ArrayList<>();
        if (r.killSwitch()) {
            changes.add(killSwitch(r, commands));
        }
        List<IpPrefix> tunnel = tunnelPrefixes(r);
        if (tunnel.stream().anyMatch(p -> p.contains(r.server()))) {
            RouteLookup.Path path = RouteLookup.route(commands, r.server());
            if (path.device().equals(tun)) {
                throw new IOException("the route to the server " + Addresses.text(r.server()) + " already goes"
                        + " through the tunnel " + tun + ": close the routes of the earlier connection first");
            }
            if (!path.local()) {
                changes.add(hostRoute(r.server(), path, commands));
            }
        }
        for (IpPrefix p : tunnel) {
            boolean half = FULL_V4.contains(p) || FULL_V6.contains(p);
            changes.add(route(p, tun, !half, commands));
        }
        return changes;
    }

    /**
     * The prefixes routed into the tunnel: in full-tunnel mode the halves of the IPv4 (and, with
     * IPv6, the IPv6) address space, then the pushed routes by their network address. A pushed
     * default route becomes the two halves, so the real default route stays as it is.
     */
    static List<IpPrefix> tunnelPrefixes(ClientRoutes r) {
        Set<IpPrefix> out = new LinkedHashSet<>();
        if (r.fullTunnel()) {
            out.addAll(FULL_V4);
            if (r.ipv6()) {
                out.addAll(FULL_V6);
            }
        }
        for (IpPrefix p : r.routes()) {
            if (p.prefixLength() == 0) {
                out.addAll(p.isIpv4() ? FULL_V4 : FULL_V6);
            } else {
                out.add(p.network());
            }
        }
        return List.copyOf(out);
    }

    private static Change killSwitch(ClientRoutes r, Commands commands) {
        String description = "kill switch: nft table inet " + NftScripts.KILL_SWITCH_TABLE + " drops all traffic"
                + " but through " + r.tunName() + " and to " + Addresses.text(r.server())
                + (r.serverPort() > 0 ? " udp port " + r.serverPort() : "");
        return new Change(description, commands.argv("nft", "-f", "-"),
                NftScripts.killSwitch(r.tunName(), r.server(), r.serverPort()),
                commands.argv("nft", "delete", "table", "inet", NftScripts.KILL_SWITCH_TABLE), false);
    }

    private static Change hostRoute(InetAddress server, RouteLookup.Path path, Commands commands) {
        String family = RouteLookup.family(server);
        String host = Addresses.text(server) + (family.equals("-4") ? "/32" : "/128");
        List<String> spec = new ArrayList<>(List.of(host));
        if (path.gateway() != null) {
            spec.addAll(List.of("via", path.gateway()));
        }
        spec.addAll(List.of("dev", Interfaces.check(path.device()), "proto", PROTO));
        return new Change("route " + String.join(" ", spec.subList(0, spec.size() - 2)) + " (to the server, outside the tunnel)",
                commands.argv(concat(List.of("ip", family, "route", "add"), spec)), null,
                commands.argv(concat(List.of("ip", family, "route", "del"), spec)), true);
    }

    /**
     * A route through the tunnel. A pushed route that collides with one already there is skipped,
     * so a server cannot take over a route of the client's own network; the halves of a full
     * tunnel must not collide, or another VPN is routing everything already.
     */
    private static Change route(IpPrefix prefix, String tun, boolean skipIfPresent, Commands commands) {
        String family = prefix.isIpv4() ? "-4" : "-6";
        List<String> spec = List.of(Addresses.text(prefix), "dev", tun, "proto", PROTO);
        return new Change("route " + Addresses.text(prefix) + " dev " + tun,
                commands.argv(concat(List.of("ip", family, "route", "add"), spec)), null,
                commands.argv(concat(List.of("ip", family, "route", "del"), spec)), skipIfPresent);
    }

    private static String[] concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(String[]::new);
    }

    private static IpPrefix prefix(String address, int length) {
        try {
            return new IpPrefix(InetAddress.getByName(address), length);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

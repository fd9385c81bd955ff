package org.minivpn.route.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Pushed resolvers come last ({@link DnsPlan}), and so are the first to be undone.
 *
 * <p>A full tunnel takes IPv6 too (::/1 and 8000::/1), also when the server gave the client no
 * IPv6 address: otherwise the client's IPv6 traffic would leave beside the tunnel, unseen, as with
 * any VPN that routes only IPv4. wg-quick does the same with its {@code ::/0} route; the relay
 * drops such packets and answers them with ICMPv6 unreachable, so applications fall back to IPv4
 * at once. Where the TUN has IPv6 disabled they are unreachable routes instead; where the kernel
 * has no IPv6 there is nothing to leak and they are skipped.
 */
final class ClientPlan {

    /**
     * The rtm_protocol our routes carry. A delete names it too, so it can only remove a route this
     * bundle added, never an equal one an administrator made.
     */
    static final String PROTO = "77";

    private static final Logger LOG = System.getLogger(ClientPlan.class.getName());

    private static final List<IpPrefix> FULL_V4 = List.of(prefix("0.0.0.0", 1), prefix("128.0.0.0", 1));
    private static final List<IpPrefix> FULL_V6 = List.of(prefix("::", 1), prefix("8000::", 1));

    private ClientPlan() {
    }

    /**
     * Reads the route to the server now, and returns the changes. Changes nothing itself. A full
     * tunnel whose own socket carries {@code policy}'s mark is routed by {@link PolicyPlan}; without
     * the mark (no CAP_NET_ADMIN, policy routing off) by a host route and the halves, as here.
     */
    static List<Change> of(ClientRoutes r, PolicyRouting policy, DnsPlan.Settings dns, Commands commands)
            throws IOException {
        List<Change> changes = new ArrayList<>(routes(r, policy, commands));
        changes.addAll(DnsPlan.of(r, dns, commands)); // last: its resolvers are reachable once routed
        return changes;
    }

    private static List<Change> routes(ClientRoutes r, PolicyRouting policy, Commands commands) throws IOException {
        String tun = Interfaces.check(r.tunName());
        if (r.fullTunnel() && policy.on()) {
            String missing = SocketMarks.missing(commands, r.server(), r.serverPort(), policy.mark());
            if (missing == null) {
                return PolicyPlan.of(r, policy, commands);
            }
            LOG.log(Level.INFO, "no policy routing for " + tun + ": " + missing + "; a host route keeps the server"
                    + " outside the tunnel instead");
        }
        List<Change> changes = new ArrayList<>();
        if (r.killSwitch()) {
            changes.add(killSwitch(r, 0, commands));
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
        Ipv6 ipv6 = tunnel.stream().anyMatch(FULL_V6::contains) ? ipv6(tun, commands) : Ipv6.ON;
        for (IpPrefix p : tunnel) {
            if (!FULL_V6.contains(p)) {
                changes.add(route(p, tun, FULL_V4.contains(p) ? Change.Skip.NEVER : Change.Skip.IF_PRESENT, commands));
            } else if (ipv6 == Ipv6.ON) {
                changes.add(route(p, tun, Change.Skip.IF_IPV6_DISABLED, commands));
            } else if (ipv6 == Ipv6.OFF_ON_TUN) {
                changes.add(unreachable(p, tun, commands));
            } else {
                LOG.log(Level.INFO, "IPv6 is not in this kernel, so no IPv6 can leave outside the tunnel;"
                        + " not routing " + Addresses.text(p) + " into " + tun);
            }
        }
        return changes;
    }

    /** Whether the tunnel's device can carry IPv6, and the host IPv6 at all. */
    enum Ipv6 { ON, OFF_ON_TUN, NOT_IN_KERNEL }

    /**
     * Reads {@code disable_ipv6} of the TUN device. Disabled on the device alone (e.g. by
     * {@code net.ipv6.conf.default.disable_ipv6 = 1}, which new devices inherit) the underlay may
     * still have IPv6, so the halves are still needed, only as unreachable routes.
     */
    static Ipv6 ipv6(String tun, Commands commands) throws IOException {
        // The '/' form, because a device name may hold a '.' that sysctl would read as a separator.
        Commands.Result r = commands.run(commands.argv("sysctl", "-n", "net/ipv6/conf/" + tun + "/disable_ipv6"), null);
        if (r.ok()) {
            return r.output().strip().equals("0") ? Ipv6.ON : Ipv6.OFF_ON_TUN;
        }
        if (!Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
            return Ipv6.NOT_IN_KERNEL;
        }
        return Ipv6.ON; // the device is missing: adding its route fails and names the reason
    }

    /**
     * The prefixes routed into the tunnel: in full-tunnel mode the halves of the IPv4 and of the
     * IPv6 address space (IPv6 whether or not the tunnel carries it, see above), then the pushed
     * routes by their network address. A pushed default route becomes the two halves, so the real
     * default route stays as it is.
     */
    static List<IpPrefix> tunnelPrefixes(ClientRoutes r) {
        Set<IpPrefix> out = new LinkedHashSet<>();
        if (r.fullTunnel()) {
            out.addAll(FULL_V4);
            out.addAll(FULL_V6);
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

    /** The kill switch; {@code mark} non-zero lets out that mark instead of the server's address. */
    static Change killSwitch(ClientRoutes r, int mark, Commands commands) {
        String description = "kill switch: nft table inet " + NftScripts.KILL_SWITCH_TABLE + " drops all traffic"
                + " but through " + r.tunName() + " and " + (mark != 0 ? "the tunnel's socket (meta mark 0x"
                + Integer.toHexString(mark) + ")" : "to " + Addresses.text(r.server())
                + (r.serverPort() > 0 ? " udp port " + r.serverPort() : ""))
                + (r.dns().isEmpty() ? "" : ", and DNS to all but " + String.join(" ",
                        r.dns().stream().map(Addresses::text).toList()));
        return new Change(description, commands.argv("nft", "-f", "-"),
                NftScripts.killSwitch(r.tunName(), r.server(), r.serverPort(), mark, r.dns()),
                commands.argv("nft", "delete", "table", "inet", NftScripts.KILL_SWITCH_TABLE), Change.Skip.NEVER);
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
                commands.argv(concat(List.of("ip", family, "route", "del"), spec)), Change.Skip.IF_PRESENT);
    }

    /**
     * A route through the tunnel. A pushed route that collides with one already there is skipped
     * ({@link Change.Skip#IF_PRESENT}), so a server cannot take over a route of the client's own
     * network; the halves of a full tunnel must not collide, or another VPN is routing everything
     * already (the IPv6 halves are skipped only where IPv6 is disabled).
     */
    private static Change route(IpPrefix prefix, String tun, Change.Skip skip, Commands commands) {
        String family = prefix.isIpv4() ? "-4" : "-6";
        List<String> spec = List.of(Addresses.text(prefix), "dev", tun, "proto", PROTO);
        return new Change("route " + Addresses.text(prefix) + " dev " + tun,
                commands.argv(concat(List.of("ip", family, "route", "add"), spec)), null,
                commands.argv(concat(List.of("ip", family, "route", "del"), spec)), skip);
    }

    /**
     * An unreachable route for a full tunnel's IPv6 half when the TUN has IPv6 disabled: IPv6 then
     * fails at once with "no route to host" (so applications fall back to IPv4, as with the
     * relay's ICMPv6 unreachable) instead of leaving by the underlay. It names no device, so it
     * outlives a TUN that is recreated while reconnecting.
     */
    private static Change unreachable(IpPrefix prefix, String tun, Commands commands) {
        List<String> spec = List.of("unreachable", Addresses.text(prefix), "proto", PROTO);
        return new Change("route unreachable " + Addresses.text(prefix) + " (IPv6 is disabled on " + tun
                + ", none may leave outside it)",
                commands.argv(concat(List.of("ip", "-6", "route", "add"), spec)), null,
                commands.argv(concat(List.of("ip", "-6", "route", "del"), spec)), Change.Skip.IF_IPV6_DISABLED);
    }

    static String[] concat(List<String> a, List<String> b) {
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

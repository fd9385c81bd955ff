package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;

/** A client's routes, in the namespaces of a {@link ClientTopology}. */
class ClientRoutesTest {

    private static final InetAddress SERVER = IpPrefix.parseAddress("198.18.21.1");

    @TempDir
    Path dir;

    private ClientTopology net;
    private Netns client;
    private Path journal;

    @BeforeEach
    void topology() throws IOException {
        Netns.require("/dev/net/tun");
        journal = dir.resolve("routes.journal");
        net = ClientTopology.create();
        client = net.client;
    }

    @AfterEach
    void cleanUp() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void fullTunnelSendsAllButTheServerThroughTheTunAndRestoresExactlyTheOriginal() throws Exception {
        String before = client.routes();
        List<String> mainBefore = client.mainRoutes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true,
                List.of(IpPrefix.parse("10.220.100.0/24")), true, false));

        List<String> added = added(mainBefore, client.mainRoutes());
        assertTrue(client.mainRoutes().containsAll(mainBefore), "no original route is removed or changed");
        assertEquals(heads(List.of(
                "198.18.21.1 via 198.18.20.1 dev up0 proto 77",
                "0.0.0.0/1 dev mvtun0 proto 77",
                "128.0.0.0/1 dev mvtun0 proto 77",
                "10.220.100.0/24 dev mvtun0 proto 77",
                "::/1 dev mvtun0 proto 77",
                "8000::/1 dev mvtun0 proto 77")), heads(added), "routes added: " + added);
        assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "internet via the tunnel");
        assertTrue(client.ip("-6", "route", "get", "2001:db8:99::1").contains("dev mvtun0"), "IPv6 via the tunnel");
        assertTrue(client.ip("route", "get", "198.18.21.1").contains("via 198.18.20.1 dev up0"),
                "the server stays outside the tunnel");
        assertEquals(6, applied.changes().size(), applied.changes().toString());
        assertTrue(Files.exists(journal), "the journal holds the changes while they are applied");

        applied.close();
        assertEquals(before, client.routes(), "after close the routes are exactly the original");
        assertFalse(Files.exists(journal), "the journal is gone once everything is undone");
        applied.close();
        assertEquals(before, client.routes(), "close is idempotent");
        cfg.deactivate();
    }

    @Test
    void aFullTunnelWithoutIpv6InItStillTakesTheClientsIpv6() throws Exception {
        client.ip("addr", "del", "fd00:220::2/64", "dev", "mvtun0"); // the server pushed no IPv6
        String before = client.routes();
        assertTrue(client.ip("-6", "route", "get", "2001:db8::1").contains("dev up0"), "IPv6 leaves by the underlay");
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true, List.of(), false, false));

        assertTrue(client.ip("-6", "route", "get", "2001:db8::1").contains("dev mvtun0"),
                "IPv6 goes into the tunnel, not beside it: " + client.ip("-6", "route", "get", "2001:db8::1"));
        assertTrue(client.ip("-6", "route", "get", "2001:db8:20::1").contains("dev up0"), "the underlay's own link stays");
        assertTrue(applied.changes().contains("route ::/1 dev mvtun0"), applied.changes().toString());
        assertTrue(applied.changes().contains("route 8000::/1 dev mvtun0"), applied.changes().toString());

        applied.close();
        assertEquals(before, client.routes(), "after close the routes are exactly the original");
        cfg.deactivate();
    }

    @Test
    void withIpv6DisabledOnTheTunIpv6IsUnreachableInsteadOfLeaking() throws Exception {
        client.exec("sysctl", "-q", "-w", "net.ipv6.conf.mvtun0.disable_ipv6=1");
        String before = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true, List.of(), false, false));

        IOException e = assertThrows(IOException.class, () -> client.ip("-6", "route", "get", "2001:db8::1"));
        assertTrue(e.getMessage().contains("No route to host"), e.getMessage());
        assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "IPv4 goes into the tunnel");
        assertTrue(client.ip("-6", "route", "get", "2001:db8:20::1").contains("dev up0"), "the underlay's own link stays");
        assertTrue(applied.changes().stream().anyMatch(c -> c.startsWith("route unreachable ::/1")),
                applied.changes().toString());

        applied.close();
        assertEquals(before, client.routes(), "after close the routes are exactly the original");
        assertFalse(Files.exists(journal));
        cfg.deactivate();
    }

    @Test
    void withIpv6DisabledEverywhereTheConnectStillSucceeds() throws Exception {
        client.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
        String before = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true, List.of(), true, true));

        assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "IPv4 goes into the tunnel");
        assertThrows(IOException.class, () -> client.ip("-6", "route", "get", "2001:db8::1"), "no IPv6 leaves");
        applied.close();
        assertEquals(before, client.routes());
        cfg.deactivate();
    }

    @Test
    void splitTunnelAddsOnlyThePushedRoutes() throws Exception {
        String before = client.routes();
        List<String> mainBefore = client.mainRoutes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, false,
                List.of(IpPrefix.parse("10.220.100.0/24"), IpPrefix.parse("10.220.201.7/16")), true, false));

        List<String> added = added(mainBefore, client.mainRoutes());
        assertEquals(heads(List.of("10.220.0.0/16 dev mvtun0 proto 77", "10.220.100.0/24 dev mvtun0 proto 77")),
                heads(added), "routes added: " + added);
        assertTrue(client.mainRoutes().containsAll(mainBefore));
        assertTrue(client.ip("route", "get", "198.18.23.9").contains("via 198.18.20.1 dev up0"),
                "the rest still leaves by the default route");
        applied.close();
        assertEquals(before, client.routes());
        cfg.deactivate();
    }

    @Test
    void aPushedRouteThatCollidesWithTheClientsOwnIsSkippedAndLeftAlone() throws Exception {
        String before = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, false,
                List.of(IpPrefix.parse("198.18.20.0/30"), IpPrefix.parse("10.220.100.0/24")), false, false));

        assertEquals(List.of("route 10.220.100.0/24 dev mvtun0"), applied.changes());
        assertTrue(client.ip("route", "get", "198.18.20.1").contains("dev up0"), "the client's LAN stays on its link");
        applied.close();
        assertEquals(before, client.routes(), "the existing route was not deleted by close");
        cfg.deactivate();
    }

    @Test
    void aFailedStepNamesTheCommandAndTheKernelsReasonAndRollsBack() throws Exception {
        String before = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        IOException e = assertThrows(IOException.class, () -> cfg.routeClient(new ClientRoutes("mvnone0", SERVER, 1194,
                true, List.of(), false, false)));

        assertTrue(e.getMessage().contains("ip -4 route add 0.0.0.0/1 dev mvnone0"), e.getMessage());
        assertTrue(e.getMessage().contains("Cannot find device"), e.getMessage());
        assertEquals(before, client.routes(), "the host route added before the failure is gone again");
        assertFalse(Files.exists(journal));
        cfg.deactivate();
    }

    @Test
    void deactivationUndoesEverythingStillApplied() throws Exception {
        String before = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true, List.of(), true, true));
        assertTrue(client.ruleset().contains("minivpn_killswitch"));

        cfg.deactivate();
        assertEquals(before, client.routes());
        assertEquals("", client.ruleset().strip(), "the kill switch table is gone");
        assertFalse(Files.exists(journal));
        assertThrows(IllegalStateException.class, () -> cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194,
                true, List.of(), false, false)));
        assertEquals(before, client.routes());
    }

    /** The lines of {@code now} that were not in {@code before}. */
    static List<String> added(List<String> before, List<String> now) {
        List<String> out = new ArrayList<>(now);
        out.removeAll(before);
        return out;
    }

    /**
     * Each line cut after "proto 77", so that kernel flags (linkdown, metric, pref) do not matter,
     * sorted.
     */
    static List<String> heads(List<String> lines) {
        return lines.stream().map(l -> {
            int i = l.indexOf("proto 77");
            return i < 0 ? l : l.substring(0, i + "proto 77".length());
        }).sorted().toList();
    }
}

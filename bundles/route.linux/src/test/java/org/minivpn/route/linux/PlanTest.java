package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.ServerRoutes;

/** The parts that need no root: plans, parsing, scripts and the journal file. */
class PlanTest {

    private static final InetAddress SERVER = IpPrefix.parseAddress("198.18.21.1");

    @TempDir
    Path dir;

    @Test
    void fullTunnelCoversBothHalvesAndThePushedRoutesByNetwork() {
        ClientRoutes r = new ClientRoutes("tun0", SERVER, 1194, true,
                List.of(IpPrefix.parse("10.220.9.9/16"), IpPrefix.parse("fd00:220::5/64")), true, false);
        assertEquals(List.of("0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1", "10.220.0.0/16", "fd00:220::/64"),
                ClientPlan.tunnelPrefixes(r).stream().map(Addresses::text).toList());
    }

    @Test
    void aFullTunnelTakesIpv6AlsoWhenTheTunnelCarriesNone() {
        ClientRoutes r = new ClientRoutes("tun0", SERVER, 1194, true, List.of(), false, false);
        assertEquals(List.of("0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"),
                ClientPlan.tunnelPrefixes(r).stream().map(Addresses::text).toList());
    }

    @Test
    void theKernelsIpv6DisabledErrorsAreRecognised() {
        assertTrue(new Commands.Result(List.of("ip"), 2, "Error: IPv6 is disabled on nexthop device.").ipv6Disabled());
        assertTrue(new Commands.Result(List.of("ip"), 2, "RTNETLINK answers: Address family not supported by protocol")
                .ipv6Disabled());
        assertFalse(new Commands.Result(List.of("ip"), 2, "Error: Nexthop device is not up.").ipv6Disabled());
        assertFalse(new Commands.Result(List.of("ip"), 0, "").ipv6Disabled());
    }

    @Test
    void splitTunnelHasOnlyThePushedRoutesAndAPushedDefaultBecomesTheTwoHalves() {
        ClientRoutes r = new ClientRoutes("tun0", SERVER, 1194, false,
                List.of(IpPrefix.parse("10.220.1.0/24"), IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("10.220.1.1/24")),
                true, false);
        assertEquals(List.of("10.220.1.0/24", "0.0.0.0/1", "128.0.0.0/1"),
                ClientPlan.tunnelPrefixes(r).stream().map(Addresses::text).toList());
    }

    @Test
    void routeGetOutputIsRead() {
        RouteLookup.Path via = RouteLookup.parseRouteGet(
                "198.18.21.1 via 198.18.20.1 dev up0 src 198.18.20.2 uid 0 \n    cache").orElseThrow();
        assertEquals(new RouteLookup.Path("198.18.20.1", "up0", false), via);
        RouteLookup.Path onLink = RouteLookup.parseRouteGet("198.18.20.1 dev up0 src 198.18.20.2 uid 0").orElseThrow();
        assertNull(onLink.gateway());
        assertTrue(RouteLookup.parseRouteGet("local 127.0.0.1 dev lo src 127.0.0.1 uid 0").orElseThrow().local());
        assertTrue(RouteLookup.parseRouteGet("RTNETLINK answers: Network is unreachable").isEmpty());
    }

    @Test
    void ipv6AddressesAreWrittenTheWayIpPrintsThem() {
        assertEquals("::", Addresses.text(IpPrefix.parseAddress("::")));
        assertEquals("8000::", Addresses.text(IpPrefix.parseAddress("8000:0:0:0:0:0:0:0")));
        assertEquals("2001:db8::1:0:0:1", Addresses.text(IpPrefix.parseAddress("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", Addresses.text(IpPrefix.parseAddress("2001:db8:0:1:1:1:1:1")));
        assertEquals("fd00:220::/64", Addresses.text(IpPrefix.parse("fd00:220::9/64")));
    }

    @Test
    void underPolicyRoutingTheKillSwitchLetsOutTheMarkNotTheServersAddress() {
        String s = NftScripts.killSwitch("tun0", SERVER, 1194, 0x6d76);
        assertTrue(s.contains("meta mark 0x6d76 accept"), s);
        assertFalse(s.contains("198.18.21.1"), s);
    }

    @Test
    void policyRoutingIsUsedOnlyWhenThisProcesssSocketToTheServerCarriesTheMark() {
        String ss = "ESTAB 0 0 198.18.20.2:58738 198.18.21.1:1194 users:((\"java\",pid=4711,fd=3)) ino:669235"
                + " sk:8 fwmark:0x6d76 <->\n";
        assertNull(SocketMarks.missing(ss, 4711, 0x6d76, "198.18.21.1:1194"));
        assertTrue(SocketMarks.missing(ss, 4711, 0x6d77, "198.18.21.1:1194").contains("does not carry"));
        assertTrue(SocketMarks.missing(ss, 4712, 0x6d76, "198.18.21.1:1194").contains("no UDP socket"),
                "another process's marked socket does not count");
        assertTrue(SocketMarks.missing(ss.replace(" fwmark:0x6d76", ""), 4711, 0x6d76, "s").contains("does not carry"));
    }

    @Test
    void policyRoutingSettingsAreCheckedAndABadOneTurnsItOff() {
        assertEquals(new PolicyRouting(0x6d76, 51821), PolicyRouting.of("0x6d76", 51821));
        assertEquals(new PolicyRouting(28022, 100), PolicyRouting.of("28022", 100));
        assertFalse(PolicyRouting.of("", 51821).on());
        assertFalse(PolicyRouting.of("mark", 51821).on());
        assertFalse(PolicyRouting.of("0x6d76", 254).on(), "never the main table");
        assertFalse(PolicyRouting.of("0x6d76", 0).on());
        assertEquals("0x6d76", PolicyRouting.DEFAULT.markText());
    }

    @Test
    void killSwitchAllowsOnlyTheTunAndTheServerEndpoint() {
        String s = NftScripts.killSwitch("tun0", SERVER, 1194, 0);
        assertTrue(s.startsWith("create table inet minivpn_killswitch\n"), "never reuses a table: " + s);
        assertTrue(s.contains("type filter hook output priority filter; policy drop;"), s);
        assertTrue(s.contains("oifname \"tun0\" accept"), s);
        assertTrue(s.contains("ip daddr 198.18.21.1 udp dport 1194 accept"), s);
        String v6 = NftScripts.killSwitch("tun0", IpPrefix.parseAddress("2001:db8::7"), 0, 0);
        assertTrue(v6.contains("ip6 daddr 2001:db8::7 accept"), v6);
    }

    @Test
    void serverTableMasqueradesThePoolsAndClampsToTheTunnelMtu() {
        String s = NftScripts.server(new ServerRoutes("tun0", List.of(IpPrefix.parse("10.220.0.1/24"),
                IpPrefix.parse("fd00:220::1/64")), null, 1400), "eth0", null, false);
        assertTrue(s.startsWith("create table inet minivpn\n"), s);
        assertTrue(s.contains("oifname \"eth0\" ip saddr 10.220.0.0/24 masquerade"), s);
        assertTrue(s.contains("oifname \"eth0\" ip6 saddr fd00:220::/64 masquerade"), s);
        assertTrue(s.contains("maxseg size > 1360 tcp option maxseg size set 1360"), s);
        assertTrue(s.contains("maxseg size > 1340 tcp option maxseg size set 1340"), s);
        assertTrue(NftScripts.server(new ServerRoutes("tun0", List.of(IpPrefix.parse("10.220.0.0/24")), null, 0),
                "eth0", null, false).contains("set rt mtu"));
    }

    @Test
    void serverTableLetsIntoTheTunnelOnlyRepliesAndClientToClientOnlyWhenAsked() {
        ServerRoutes off = new ServerRoutes("tun0", List.of(IpPrefix.parse("10.220.0.0/24")), null, 1400);
        String s = NftScripts.server(off, "eth0", null, false);
        assertTrue(s.contains("iifname \"tun0\" oifname \"tun0\" counter name client_to_client_dropped drop"), s);
        assertTrue(s.contains("oifname \"tun0\" ct state established,related accept\n"
                + "    oifname \"tun0\" counter name to_tunnel_dropped drop"), s);
        assertTrue(s.indexOf("client_to_client_dropped drop") < s.indexOf("iifname \"tun0\" accept"),
                "client-to-client is decided before the clients' traffic out is accepted: " + s);
        assertFalse(s.contains("meta nfproto ipv6 counter"), "no IPv6 guard when forwarding was on before: " + s);
        ServerRoutes on = new ServerRoutes("tun0", off.tunnelNetworks(), null, 1400, true);
        assertTrue(NftScripts.server(on, "eth0", null, false).contains("iifname \"tun0\" oifname \"tun0\" accept"));
        String guarded = NftScripts.server(off, "eth0", "eth0", true);
        assertTrue(guarded.contains("meta nfproto ipv4 iifname \"eth0\" counter name not_routed_dropped drop"), guarded);
        assertTrue(guarded.contains("meta nfproto ipv6 counter name not_routed_dropped drop"), guarded);
    }

    @Test
    void interfaceNamesThatCouldBreakOutOfAScriptAreRefused() {
        assertEquals("tun0", Interfaces.check("tun0"));
        assertThrows(IllegalArgumentException.class, () -> Interfaces.check("tun0\" accept"));
        assertThrows(IllegalArgumentException.class, () -> Interfaces.check("a-name-longer-than-15"));
        assertThrows(IllegalArgumentException.class, () -> Interfaces.check(""));
        assertThrows(IllegalArgumentException.class,
                () -> NftScripts.killSwitch("tun0 } ; flush ruleset", SERVER, 1, 0));
    }

    @Test
    void commandsInANamespaceRunUnderIpNetnsExec() {
        try (Commands c = new Commands("mvrt-x", Duration.ofSeconds(1)); Commands own = new Commands("", Duration.ofSeconds(1))) {
            assertEquals(List.of("ip", "netns", "exec", "mvrt-x", "ip", "route"), c.argv("ip", "route"));
            assertEquals(List.of("ip", "route"), own.argv("ip", "route"));
        }
        assertThrows(IllegalArgumentException.class, () -> new Commands("x; reboot", Duration.ofSeconds(1)));
    }

    @Test
    void theJournalExistsOnlyWhileAChangeIsOutstanding() throws IOException {
        Path file = dir.resolve("run/routes.journal");
        RouteJournal j = new RouteJournal(file);
        j.willApply("1.1", List.of("ip", "-4", "route", "del", "0.0.0.0/1", "dev", "tun0", "proto", "77"));
        j.willApply("1.2", List.of("nft", "delete", "table", "inet", "minivpn_killswitch"));
        List<String> lines = Files.readAllLines(file);
        assertEquals("boot " + RouteJournal.bootId(), lines.get(0));
        assertEquals(List.of(List.of("ip", "-4", "route", "del", "0.0.0.0/1", "dev", "tun0", "proto", "77"),
                List.of("nft", "delete", "table", "inet", "minivpn_killswitch")), RouteJournal.outstanding(lines));
        j.failed("1.2");
        assertEquals(1, RouteJournal.outstanding(Files.readAllLines(file)).size());
        j.undone("1.1");
        assertFalse(Files.exists(file), "deleted once nothing is outstanding");
    }

    @Test
    void aJournalLineTornByAPowerLossIsIgnored() {
        List<String> lines = List.of("boot x", "do 1.1 sysctl -q -w net.ipv4.ip_forward%3D0", "undone 1.1",
                "do 1.2 nft delete table inet minivpn", "und");
        assertEquals(List.of(List.of("nft", "delete", "table", "inet", "minivpn")), RouteJournal.outstanding(lines));
    }

    @Test
    void onlyTheProgramsThisBundleRunsMayBeReplayed() {
        assertTrue(RouteJournal.allowed(List.of("ip", "netns", "exec", "mvrt-a", "nft", "delete", "table", "inet", "minivpn")));
        assertTrue(RouteJournal.allowed(List.of("sysctl", "-q", "-w", "net.ipv4.ip_forward=0")));
        assertFalse(RouteJournal.allowed(List.of("ip", "netns", "exec", "mvrt-a", "sh", "-c", "reboot")));
        assertFalse(RouteJournal.allowed(List.of("rm", "-rf", "/")));
    }

    @Test
    void theDefaultJournalLivesUnderTheInstallationFolder() {
        assertEquals(Path.of("/opt/minivpn/run/routes.journal"), LinuxRouteConfigurator.journalPath("", "/opt/minivpn"));
        assertEquals(Path.of("/var/x.journal"), LinuxRouteConfigurator.journalPath("/var/x.journal", "/opt/minivpn"));
    }
}

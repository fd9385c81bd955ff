package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.route.ServerRoutes;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * Resolvers pushed in the CONFIG record: from the server's settings over a loopback transport to
 * the client's routing, left out with {@code dns = off}, and invisible to a client that reads only
 * the keys it knows.
 */
class DnsPushTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<ClientRoutes> routed = new CopyOnWriteArrayList<>();

    /** Records what the client asks of its routing, and changes nothing. */
    private final RouteConfigurator recording = new RouteConfigurator() {
        @Override
        public AppliedRoutes routeClient(ClientRoutes routes) {
            routed.add(routes);
            return new AppliedRoutes() {
                @Override
                public List<String> changes() {
                    return List.of();
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public AppliedRoutes routeServer(ServerRoutes routes) throws IOException {
            throw new IOException("not a server");
        }
    };

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private void server(PushedDns dns) throws IOException {
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse("10.7.0.0/24"),
                null, 1400, List.of(), false, Map.of(), null, Duration.ofMillis(200), Duration.ofSeconds(2), false,
                Duration.ofSeconds(60), Duration.ofSeconds(180), dns);
        ServerEngine e = new ServerEngine(MemoryTunDevice.pair("tun0", 1400).device(), transport, null, s);
        e.start();
        open.add(e);
    }

    private ClientRoutes connect(boolean dns) throws IOException {
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, true, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(400), false,
                Duration.ofSeconds(180), dns);
        ClientEngine e = new ClientEngine(MemoryTunDevice.pair("c0", 1400).device(), () -> transport, recording, s,
                SERVER, "127.0.0.1:23232", (from, to, reason) -> { });
        open.add(e);
        e.connect();
        return routed.get(routed.size() - 1);
    }

    @Test
    void theClientsRoutingGetsTheResolversAndDomainsTheServerPushes() throws Exception {
        server(PushedDns.configured(new String[] {"10.7.0.1, 2001:db8::53"}, new String[] {"Corp.Example.com"}));
        ClientRoutes r = connect(true);
        assertEquals(List.of(InetAddress.getByName("10.7.0.1"), InetAddress.getByName("2001:db8::53")), r.dns());
        assertEquals(List.of("corp.example.com"), r.dnsSearch());
        assertTrue(r.killSwitch());
    }

    @Test
    void dnsOffLeavesResolutionAloneAndAServerWithoutDnsPushesNone() throws Exception {
        server(PushedDns.configured(new String[] {"10.7.0.1"}, new String[0]));
        ClientRoutes off = connect(false);
        assertEquals(List.of(), off.dns());
        assertEquals(List.of(), off.dnsSearch());
        closeAll();
        open.clear();

        server(PushedDns.NONE);
        assertEquals(List.of(), connect(true).dns());
    }

    @Test
    void aClientReadsOnlyTheKeysItKnowsSoTheDnsLinesChangeNothingElse() {
        List<Map.Entry<String, String>> lines = new ArrayList<>(List.of(Map.entry("address", "10.7.0.2/24"),
                Map.entry("mtu", "1400"), Map.entry("route", "192.0.2.0/24")));
        PushedConfig before = parse(lines);
        PushedDns.configured(new String[] {"10.7.0.1"}, new String[] {"corp.example.com"}).addTo(lines);
        lines.add(Map.entry("something.newer", "x"));
        PushedConfig after = parse(lines);
        assertEquals(before.addresses(), after.addresses());
        assertEquals(before.routes(), after.routes());
        assertEquals(before.mtu(), after.mtu());
        assertEquals(PushedDns.NONE, before.dns());
        assertEquals(List.of("corp.example.com"), after.dns().search());
    }

    @Test
    void whatTheClientCannotUseIsLeftOutAndNothingIsLookedUp() {
        PushedDns d = PushedDns.parse(Map.of(
                "dns", List.of("10.7.0.1", "resolver.example.com", "10.7.0.1", "1.2.3.4 nameserver 6.6.6.6", "::1"),
                "dns.search", List.of("ok.example", "bad domain", "x;rm", "-lead.example")));
        assertEquals(List.of(IpPrefix.parseAddress("10.7.0.1"), IpPrefix.parseAddress("::1")), d.servers());
        assertEquals(List.of("ok.example"), d.search());

        List<String> many = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            many.add("10.7.0." + i);
        }
        assertEquals(PushedDns.MAX_SERVERS, PushedDns.parse(Map.of("dns", many)).servers().size());
        assertEquals(List.of(), PushedDns.parse(Map.of("dns.search", List.of("a.example"))).search(),
                "domains without resolvers are of no use");
    }

    @Test
    void aServerConfigurationThatCannotBePushedIsRefusedSayingWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PushedDns.configured(new String[] {"dns.example.com"}, new String[0]));
        assertTrue(e.getMessage().startsWith("dns: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PushedDns.configured(new String[] {"10.7.0.1"}, new String[] {"a b!"}));
        assertTrue(e.getMessage().contains("is not a DNS domain"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PushedDns.configured(new String[0], new String[] {"corp.example.com"}));
        assertTrue(e.getMessage().contains("dns.search needs resolvers"), e.getMessage());
        String longDomain = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + ".example";
        e = assertThrows(IllegalArgumentException.class, () -> PushedDns.configured(new String[] {"10.7.0.1"},
                new String[] {String.join(",", java.util.Collections.nCopies(6, longDomain))}));
        assertTrue(e.getMessage().contains("it must fit one datagram"), e.getMessage());
        assertEquals(PushedDns.NONE, ServerRelay.settings(ServerDefaultsTest.defaults(), 0).dns(), "none by default");
    }

    @Test
    void dnsIsOnOrOff() {
        assertTrue(ClientRelay.onOff("dns", " On "));
        assertEquals(false, ClientRelay.onOff("dns", "off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClientRelay.onOff("dns", "auto"));
        assertTrue(e.getMessage().contains("dns = auto is neither on nor off"), e.getMessage());
    }

    private static PushedConfig parse(List<Map.Entry<String, String>> lines) {
        byte[] record = Wire.config(lines);
        ClientSettings fallback = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30), false,
                Duration.ofSeconds(180));
        return PushedConfig.parse(Wire.parseConfig(record, 0, record.length), fallback);
    }
}

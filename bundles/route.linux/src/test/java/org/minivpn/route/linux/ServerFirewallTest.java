package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ServerRoutes;

/**
 * What the server's table lets in, with real TCP, in namespaces this test makes:
 * <pre>
 *  mvrt-fa-* (client a)                mvrt-fs-* (server)                  mvrt-fn-* (a neighbour)
 *   t0 10.220.3.2/32 ------veth------ pa -+ bridge tun0 10.220.3.1/24
 *      fd00:220:3::2/128                  |        fd00:220:3::1/64
 *  mvrt-fb-* (client b)                   |  (stands in for the TUN: clients
 *   t0 10.220.3.3/32 ------veth------ pb -+   reach each other only routed
 *   both: default via the server              through the server)
 *                                     up0 198.18.20.17/29 -----veth----- up0 198.18.20.18/29
 *                                         2001:db8:24::17/64                 2001:db8:24::18/64
 *                                     default via the neighbour          routes to the pools and to
 *                                                                        the server's LAN via it
 *                                     lan0 198.18.22.1/30 ----veth----- mvrt-fl-* (the server's LAN)
 *                                          2001:db8:25::1/64              lan0 198.18.22.2/30
 *                                                                              2001:db8:25::2/64
 * </pre>
 * The neighbour is the attacker: it sits next to the server and routes the pool through it.
 */
class ServerFirewallTest {

    private static final InetAddress CLIENT_A = IpPrefix.parseAddress("10.220.3.2");
    private static final InetAddress CLIENT_A_V6 = IpPrefix.parseAddress("fd00:220:3::2");
    private static final InetAddress NEIGHBOUR = IpPrefix.parseAddress("198.18.20.18");
    private static final InetAddress NEIGHBOUR_V6 = IpPrefix.parseAddress("2001:db8:24::18");
    private static final InetAddress LAN_HOST = IpPrefix.parseAddress("198.18.22.2");
    private static final InetAddress LAN_HOST_V6 = IpPrefix.parseAddress("2001:db8:25::2");
    private static final List<IpPrefix> POOLS = List.of(IpPrefix.parse("10.220.3.0/24"), IpPrefix.parse("fd00:220:3::/64"));
    private static final int PORT = 8080;

    @TempDir
    Path dir;

    private Netns a;
    private Netns b;
    private Netns server;
    private Netns neighbour;
    private Netns lan;
    private Path journal;

    @BeforeEach
    void topology() throws IOException {
        Netns.require("ping");
        journal = dir.resolve("routes.journal");
        server = Netns.create("fs");
        a = Netns.create("fa");
        b = Netns.create("fb");
        neighbour = Netns.create("fn");
        lan = Netns.create("fl");
        // A redirect would teach client a to reach b on the bridge directly, around the server.
        server.exec("sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
                "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        server.ip("link", "add", "tun0", "type", "bridge");
        server.ip("link", "set", "tun0", "up");
        server.ip("addr", "add", "10.220.3.1/24", "dev", "tun0");
        server.ip("addr", "add", "fd00:220:3::1/64", "dev", "tun0", "nodad");
        client(a, "pa", "10.220.3.2");
        client(b, "pb", "10.220.3.3");
        a.ip("addr", "add", "fd00:220:3::2/128", "dev", "t0", "nodad");
        a.ip("-6", "route", "add", "default", "via", "fd00:220:3::1", "dev", "t0", "onlink");

        server.veth("up0", neighbour, "up0");
        server.ip("addr", "add", "198.18.20.17/29", "dev", "up0");
        server.ip("addr", "add", "2001:db8:24::17/64", "dev", "up0", "nodad");
        neighbour.ip("addr", "add", "198.18.20.18/29", "dev", "up0");
        neighbour.ip("addr", "add", "2001:db8:24::18/64", "dev", "up0", "nodad");
        server.ip("route", "add", "default", "via", "198.18.20.18");
        server.ip("-6", "route", "add", "default", "via", "2001:db8:24::18");
        for (String net : List.of("10.220.3.0/24", "198.18.22.0/30")) {
            neighbour.ip("route", "add", net, "via", "198.18.20.17");
        }
        for (String net : List.of("fd00:220:3::/64", "2001:db8:25::/64")) {
            neighbour.ip("-6", "route", "add", net, "via", "2001:db8:24::17");
        }

        server.veth("lan0", lan, "lan0");
        server.ip("addr", "add", "198.18.22.1/30", "dev", "lan0");
        server.ip("addr", "add", "2001:db8:25::1/64", "dev", "lan0", "nodad");
        lan.ip("addr", "add", "198.18.22.2/30", "dev", "lan0");
        lan.ip("addr", "add", "2001:db8:25::2/64", "dev", "lan0", "nodad");
        lan.ip("route", "add", "default", "via", "198.18.22.1");
        lan.ip("-6", "route", "add", "default", "via", "2001:db8:25::1");
    }

    /** A client with a /32 and its default route through the server, so it reaches others only routed. */
    private void client(Netns ns, String port, String address) throws IOException {
        ns.exec("sysctl", "-q", "-w", "net.ipv4.conf.all.accept_redirects=0");
        ns.veth("t0", server, port);
        server.ip("link", "set", port, "master", "tun0");
        ns.ip("addr", "add", address + "/32", "dev", "t0");
        ns.ip("route", "add", "default", "via", "10.220.3.1", "dev", "t0", "onlink");
    }

    @AfterEach
    void cleanUp() {
        for (Netns ns : new Netns[] {a, b, server, neighbour, lan}) {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void aNeighbourOfTheServerReachesNoClientWhileTheClientsReachOut() throws Exception {
        String rulesBefore = server.ruleset();
        try (TcpProbe atClient = TcpProbe.listen(a, CLIENT_A, PORT);
                TcpProbe atClientV6 = TcpProbe.listen(a, CLIENT_A_V6, PORT);
                TcpProbe atNeighbour = TcpProbe.listen(neighbour, NEIGHBOUR, PORT);
                TcpProbe atNeighbourV6 = TcpProbe.listen(neighbour, NEIGHBOUR_V6, PORT);
                TcpProbe atLan = TcpProbe.listen(lan, LAN_HOST, PORT);
                TcpProbe atLanV6 = TcpProbe.listen(lan, LAN_HOST_V6, PORT)) {
            // What the global switches (and an accept-all forward chain) did: the neighbour got in.
            server.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            assertTrue(TcpProbe.reaches(neighbour, CLIENT_A, PORT), "the attack works without the table");
            assertTrue(TcpProbe.reaches(neighbour, LAN_HOST_V6, PORT), "and the server routes IPv6 for its neighbours");
            server.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
            int seenAtClient = atClient.peers().size();
            int seenAtLan = atLanV6.peers().size();

            LinuxRouteConfigurator cfg = server.configurator(journal);
            AppliedRoutes applied = cfg.routeServer(new ServerRoutes("tun0", POOLS, "up0", 1400));
            assertEquals("0", server.sysctl("net.ipv4.ip_forward"), "global IPv4 forwarding stays off");
            assertEquals("1", server.sysctl("net.ipv4.conf.tun0.forwarding"));
            assertEquals("1", server.sysctl("net.ipv4.conf.up0.forwarding"));
            assertEquals("0", server.sysctl("net.ipv4.conf.lan0.forwarding"));

            assertTrue(TcpProbe.reaches(a, NEIGHBOUR, PORT), "the client's own connections out work");
            assertTrue(TcpProbe.reaches(a, NEIGHBOUR_V6, PORT), "over IPv6 too");
            assertFalse(TcpProbe.reaches(neighbour, CLIENT_A, PORT), "the neighbour cannot open one to a client");
            assertFalse(TcpProbe.reaches(neighbour, CLIENT_A_V6, PORT), "nor over IPv6");
            assertFalse(pings(neighbour, "10.220.3.2"), "nor ping one");
            assertTrue(counter(NftScripts.TO_TUNNEL_DROPPED) > 0, server.ruleset());
            assertFalse(TcpProbe.reaches(neighbour, LAN_HOST, PORT), "the server routes nothing else for it");
            assertFalse(TcpProbe.reaches(neighbour, LAN_HOST_V6, PORT), "over IPv6 neither");
            assertTrue(counter(NftScripts.NOT_ROUTED_DROPPED) > 0, server.ruleset());
            assertEquals(seenAtClient, atClient.peers().size(), "no connection reached the client");
            assertEquals(List.of(), atClientV6.peers(), "nor over IPv6");
            assertEquals(List.of(), atLan.peers(), "nor the server's LAN");
            assertEquals(seenAtLan, atLanV6.peers().size(), "nor over IPv6");

            applied.close();
            assertEquals(rulesBefore, server.ruleset());
            for (String key : List.of("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.tun0.forwarding",
                    "net.ipv4.conf.up0.forwarding")) {
                assertEquals("0", server.sysctl(key), key + " is back to its old value");
            }
            assertFalse(Files.exists(journal));
            cfg.deactivate();
        }
    }

    @Test
    void clientsReachEachOtherOnlyWhenClientToClientIsOn() throws Exception {
        try (TcpProbe atClient = TcpProbe.listen(a, CLIENT_A, PORT)) {
            LinuxRouteConfigurator cfg = server.configurator(journal);
            AppliedRoutes off = cfg.routeServer(new ServerRoutes("tun0", POOLS, "up0", 1400));
            assertFalse(TcpProbe.reaches(b, CLIENT_A, PORT), "client-to-client is off by default");
            assertTrue(counter(NftScripts.CLIENT_TO_CLIENT_DROPPED) > 0, server.ruleset());
            off.close();

            AppliedRoutes on = cfg.routeServer(new ServerRoutes("tun0", POOLS, "up0", 1400, true));
            assertTrue(TcpProbe.reaches(b, CLIENT_A, PORT), "client b reaches client a with client-to-client on");
            assertFalse(TcpProbe.reaches(neighbour, CLIENT_A, PORT), "the neighbour still does not");
            on.close();
            cfg.deactivate();
        }
    }

    @Test
    void forwardingThatWasOnBeforeIsLeftAsItWasAndNotGuarded() throws Exception {
        server.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        try (TcpProbe atLan = TcpProbe.listen(lan, LAN_HOST, PORT); TcpProbe atLanV6 = TcpProbe.listen(lan, LAN_HOST_V6, PORT)) {
            LinuxRouteConfigurator cfg = server.configurator(journal);
            AppliedRoutes applied = cfg.routeServer(new ServerRoutes("tun0", POOLS, "up0", 1400));
            assertEquals(List.of("nft table"), applied.changes().stream().map(c -> c.substring(0, 9)).toList(),
                    "nothing but the table: " + applied.changes());
            assertTrue(TcpProbe.reaches(neighbour, LAN_HOST, PORT), "the administrator's own routing still works");
            assertTrue(TcpProbe.reaches(neighbour, LAN_HOST_V6, PORT), "over IPv6 too");
            assertFalse(TcpProbe.reaches(neighbour, CLIENT_A, PORT), "but it does not reach the clients");
            applied.close();
            assertEquals("1", server.sysctl("net.ipv4.ip_forward"));
            assertEquals("1", server.sysctl("net.ipv6.conf.all.forwarding"));
            cfg.deactivate();
        }
    }

    private boolean pings(Netns from, String address) {
        try {
            from.exec("ping", "-c", "1", "-W", "1", address);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The packets a named counter of our table has counted. */
    private long counter(String name) throws IOException {
        String out = server.exec("nft", "list", "counter", "inet", NftScripts.SERVER_TABLE, name);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}

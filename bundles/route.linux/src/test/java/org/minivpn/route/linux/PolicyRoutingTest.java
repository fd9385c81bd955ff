package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;

/**
 * A full tunnel by policy routing, in the namespaces of a {@link ClientTopology}, the gateway also
 * holding the VPN server's address 198.18.21.1 (UDP 1194 answered by a receiver there). The
 * tunnel's socket is a {@link MarkedSocket} of this process, marked 0x6d76.
 */
class PolicyRoutingTest {

    private static final InetAddress SERVER = IpPrefix.parseAddress("198.18.21.1");
    private static final int PORT = 1194;
    private static final int MARK = 0x6d76;

    @TempDir
    Path dir;

    private ClientTopology net;
    private Netns client;
    private Path journal;
    private DatagramSocket receiver;
    private final AtomicInteger received = new AtomicInteger();

    @BeforeEach
    void topology() throws Exception {
        Netns.require("/dev/net/tun");
        journal = dir.resolve("routes.journal");
        net = ClientTopology.create();
        client = net.client;
        net.gateway.ip("addr", "add", "198.18.21.1/32", "dev", "lo");
        receiver = InNamespace.call(net.gateway, Duration.ofSeconds(5), () -> {
            DatagramSocket d = new DatagramSocket(new InetSocketAddress(SERVER, PORT));
            d.setSoTimeout(200);
            return d;
        });
        Thread t = new Thread(() -> {
            byte[] b = new byte[64];
            while (!receiver.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(b, b.length);
                    receiver.receive(p);
                    received.incrementAndGet();
                    receiver.send(p); // the answer, back to where it came from
                } catch (SocketTimeoutException e) {
                    // poll until closed
                } catch (IOException e) {
                    return;
                }
            }
        }, "policy-test-receive");
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void cleanUp() {
        if (receiver != null) {
            receiver.close();
        }
        if (net != null) {
            net.close();
        }
    }

    @Test
    void theMarkedSocketReachesTheServerByTheMainTableAndEverythingElseGoesIntoTheTunnelEvenAfterTheAddressMoves()
            throws Exception {
        // Strict reverse path filtering, as hardened hosts have it: replies must still come in.
        client.exec("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.up0.rp_filter=1");
        String routesBefore = client.routes();
        String rulesBefore = client.rules();
        String srcValidMark = client.sysctl("net.ipv4.conf.all.src_valid_mark");
        List<String> mainBefore = client.mainRoutes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        try (MarkedSocket tunnelSocket = MarkedSocket.open(client, SERVER, PORT, MARK)) {
            AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, PORT, true,
                    List.of(IpPrefix.parse("198.18.20.0/31"), IpPrefix.parse("10.220.100.0/24")), true, true));

            assertTrue(applied.changes().contains("route default dev mvtun0 table 51821"), applied.changes().toString());
            assertTrue(applied.changes().contains("route -6 default dev mvtun0 table 51821"), applied.changes().toString());
            assertEquals(mainBefore, client.mainRoutes(), "the main table is left as it was: no host route, no halves");
            String rules = client.rules();
            assertTrue(rules.contains("not from all fwmark 0x6d76 lookup 51821"), rules);
            assertTrue(rules.contains("from all lookup main suppress_prefixlength 0"), rules);
            assertEquals(2, rules.split("fwmark 0x6d76 lookup 51821", -1).length - 2 + 1, "IPv4 and IPv6: " + rules);
            assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "internet via the tunnel");
            assertTrue(client.ip("route", "get", "10.220.100.9").contains("dev mvtun0"), "a pushed route via the tunnel");
            assertTrue(client.ip("route", "get", "198.18.20.1").contains("dev up0"),
                    "a pushed route never takes over the client's own network");
            assertTrue(client.ip("-6", "route", "get", "2001:db8::1").contains("dev mvtun0"), "IPv6 via the tunnel");
            assertTrue(client.ip("route", "get", "198.18.21.1").contains("dev mvtun0"), "unmarked, even to the server");
            assertTrue(client.ip("route", "get", "198.18.21.1", "mark", "0x6d76").contains("dev up0"),
                    "the marked socket by the main table");
            assertTrue(client.ruleset().contains("meta mark 0x00006d76 accept"), client.ruleset());

            assertTrue(arrives(tunnelSocket), "the tunnel's socket reaches the server");
            assertTrue(tunnelSocket.receive(), "and the server's answer comes back through strict rp_filter");
            assertEquals("1", client.sysctl("net.ipv4.conf.all.src_valid_mark"));
            assertFalse(TcpProbe.udpArrives(client, net.gateway, SERVER, PORT + 1), "an unmarked socket goes into the TUN");

            // The client's address moves (a new lease on another subnet of its link): the kernel
            // drops the routes through the old one; the DHCP client adds the new default route.
            net.gateway.ip("addr", "add", "198.18.20.5/30", "dev", "up0");
            client.ip("addr", "del", "198.18.20.2/30", "dev", "up0");
            client.ip("addr", "add", "198.18.20.6/30", "dev", "up0");
            client.ip("route", "replace", "default", "via", "198.18.20.5");
            tunnelSocket.reconnect(); // as the transport does when its source address is gone
            assertTrue(arrives(tunnelSocket), "the marked socket still reaches the server: no host route to lose");
            assertTrue(tunnelSocket.receive(), "and hears its answer");
            assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "the rest still goes into the tunnel");

            client.ip("link", "del", "mvtun0"); // the TUN goes away while reconnecting
            assertFalse(TcpProbe.udpArrives(client, net.gateway, SERVER, PORT + 1),
                    "with the TUN gone, the kill switch drops what would leave by the underlay");
            assertTrue(arrives(tunnelSocket), "but lets the tunnel's socket out");

            applied.close();
            assertEquals(rulesBefore, client.rules(), "the rules are gone after close");
            assertFalse(client.routes().contains("51821"), "table 51821 is empty: " + client.routes());
            assertEquals("", client.ruleset().strip(), "the kill switch and mark tables are gone");
            assertEquals(srcValidMark, client.sysctl("net.ipv4.conf.all.src_valid_mark"), "src_valid_mark as it was");
            assertFalse(Files.exists(journal));
        } finally {
            cfg.deactivate();
        }
        assertTrue(routesBefore.contains("mvtun0"));
    }

    @Test
    void withoutAMarkedSocketTheHostRouteAndTheHalvesAreKept() throws Exception {
        String rulesBefore = client.rules();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        try (MarkedSocket other = MarkedSocket.open(client, SERVER, PORT, 0x1234)) {
            AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, PORT, true, List.of(), true, false));
            assertEquals(rulesBefore, client.rules(), "no rule without the mark on the tunnel's socket");
            assertTrue(applied.changes().contains("route 0.0.0.0/1 dev mvtun0"), applied.changes().toString());
            assertTrue(client.ip("route", "get", "198.18.21.1").contains("via 198.18.20.1 dev up0"), "host route");
            applied.close();
        } finally {
            cfg.deactivate();
        }
    }

    @Test
    void withIpv6DisabledOnTheTunIpv6IsUnreachableInsteadOfLeaking() throws Exception {
        client.exec("sysctl", "-q", "-w", "net.ipv6.conf.mvtun0.disable_ipv6=1");
        String routesBefore = client.routes();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        try (MarkedSocket tunnelSocket = MarkedSocket.open(client, SERVER, PORT, MARK)) {
            AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, PORT, true, List.of(), false, false));
            assertTrue(applied.changes().contains("route -6 unreachable default table 51821"), applied.changes().toString());
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> client.ip("-6", "route", "get", "2001:db8::1"));
            assertTrue(e.getMessage().contains("No route to host") || e.getMessage().contains("unreachable"), e.getMessage());
            assertTrue(client.ip("-6", "route", "get", "2001:db8:20::1").contains("dev up0"), "the underlay's own link stays");
            applied.close();
            assertEquals(routesBefore, client.routes());
        } finally {
            cfg.deactivate();
        }
    }

    @Test
    void withIpv6DisabledEverywhereTheConnectStillSucceeds() throws Exception {
        client.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
        String routesBefore = client.routes();
        String rulesBefore = client.rules();
        LinuxRouteConfigurator cfg = client.configurator(journal);
        try (MarkedSocket tunnelSocket = MarkedSocket.open(client, SERVER, PORT, MARK)) {
            AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, PORT, true, List.of(), true, true));
            assertTrue(client.ip("route", "get", "198.18.23.9").contains("dev mvtun0"), "IPv4 goes into the tunnel");
            assertTrue(arrives(tunnelSocket));
            applied.close();
            assertEquals(routesBefore, client.routes());
            assertEquals(rulesBefore, client.rules());
        } finally {
            cfg.deactivate();
        }
    }

    @Test
    void aCrashLeavesRulesThatTheNextStartUndoes() throws Exception {
        String routesBefore = client.routes();
        String rulesBefore = client.rules();
        String srcValidMark = client.sysctl("net.ipv4.conf.all.src_valid_mark");
        LinuxRouteConfigurator crashed = client.configurator(journal);
        try (MarkedSocket tunnelSocket = MarkedSocket.open(client, SERVER, PORT, MARK)) {
            crashed.routeClient(new ClientRoutes("mvtun0", SERVER, PORT, true, List.of(), false, true));
        }
        assertTrue(client.rules().contains("fwmark 0x6d76"));
        // No close and no deactivation: what a kill -9 leaves. The next start replays the journal.
        client.configurator(journal).deactivate();
        assertEquals(rulesBefore, client.rules());
        assertEquals(routesBefore, client.routes());
        assertEquals("", client.ruleset().strip());
        assertEquals(srcValidMark, client.sysctl("net.ipv4.conf.all.src_valid_mark"));
        assertFalse(Files.exists(journal));
    }

    private boolean arrives(MarkedSocket socket) throws InterruptedException {
        int before = received.get();
        if (!socket.send()) {
            return false;
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (received.get() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return received.get() > before;
    }
}

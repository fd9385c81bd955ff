package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * A server's forwarding and NAT, with real TCP traffic, in namespaces this test makes:
 * <pre>
 *  mvrt-sc-* (client)            mvrt-sv-* (server)                 mvrt-in-* ('internet')
 *    tun0 10.220.1.2/24      ==veth== tun0 10.220.1.1/24
 *         fd00:220:1::2/64             fd00:220:1::1/64
 *    default via the server        (a veth stands in for the TUN)
 *                                  up0 198.18.20.9/30 -----veth----- up0 198.18.20.10/30
 *                                      2001:db8:21::9/64                 2001:db8:21::10/64
 *                                  default via 'internet'             TCP listeners on :8080, no
 *                                                                     route back to the tunnel
 * </pre>
 * Without forwarding and NAT the client cannot reach the listener; with them it can, and the
 * listener sees the server's address.
 */
class ServerNatTest {

    private static final InetAddress INTERNET = IpPrefix.parseAddress("198.18.20.10");
    private static final InetAddress SERVER_EGRESS = IpPrefix.parseAddress("198.18.20.9");
    private static final InetAddress INTERNET_V6 = IpPrefix.parseAddress("2001:db8:21::10");
    private static final InetAddress SERVER_EGRESS_V6 = IpPrefix.parseAddress("2001:db8:21::9");
    private static final int PORT = 8080;
    private static final Pattern MSS = Pattern.compile("(?<![a-z])mss:(\\d+)");

    @TempDir
    Path dir;

    private Netns client;
    private Netns server;
    private Netns internet;
    private Path journal;

    @BeforeEach
    void topology() throws IOException {
        Netns.require();
        journal = dir.resolve("routes.journal");
        client = Netns.create("sc");
        server = Netns.create("sv");
        internet = Netns.create("in");
        client.veth("tun0", server, "tun0");
        client.ip("addr", "add", "10.220.1.2/24", "dev", "tun0");
        server.ip("addr", "add", "10.220.1.1/24", "dev", "tun0");
        client.ip("route", "add", "default", "via", "10.220.1.1");
        server.veth("up0", internet, "up0");
        server.ip("addr", "add", "198.18.20.9/30", "dev", "up0");
        internet.ip("addr", "add", "198.18.20.10/30", "dev", "up0");
        server.ip("route", "add", "default", "via", "198.18.20.10");
        client.ip("addr", "add", "fd00:220:1::2/64", "dev", "tun0");
        server.ip("addr", "add", "fd00:220:1::1/64", "dev", "tun0");
        client.ip("-6", "route", "add", "default", "via", "fd00:220:1::1");
        server.ip("addr", "add", "2001:db8:21::9/64", "dev", "up0");
        internet.ip("addr", "add", "2001:db8:21::10/64", "dev", "up0");
        server.ip("-6", "route", "add", "default", "via", "2001:db8:21::10");
        server.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0");
        // A table of someone else's, which must come through untouched.
        server.exec("nft", "add", "table", "inet", "other");
        server.exec("nft", "add", "chain", "inet", "other", "input",
                "{ type filter hook input priority 10; policy accept; }");
        server.exec("nft", "add", "rule", "inet", "other", "input", "tcp", "dport", "22", "counter", "accept");
    }

    @AfterEach
    void cleanUp() {
        for (Netns ns : new Netns[] {client, server, internet}) {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void aClientReachesTheInternetWithTheServersAddressAndEverythingIsUndoneAfter() throws Exception {
        String rulesBefore = server.ruleset();
        try (TcpProbe listener = TcpProbe.listen(internet, INTERNET, PORT)) {
            assertFalse(TcpProbe.reaches(client, INTERNET, PORT), "without forwarding and NAT nothing gets through");

            LinuxRouteConfigurator cfg = server.configurator(journal);
            AppliedRoutes applied = cfg.routeServer(new ServerRoutes("tun0", List.of(IpPrefix.parse("10.220.1.0/24")),
                    null, 1400));
            assertEquals("1", server.sysctl("net.ipv4.conf.tun0.forwarding"));
            assertEquals("1", server.sysctl("net.ipv4.conf.up0.forwarding"));
            assertEquals("0", server.sysctl("net.ipv4.ip_forward"), "only the two interfaces forward, not all");
            assertTrue(server.ruleset().contains("table inet other"), "the other table is still there");

            Socket s = TcpProbe.connect(client, INTERNET, PORT, Duration.ofSeconds(3));
            assertNotNull(s, "the client reaches the internet namespace through the server");
            try (s) {
                assertEquals(List.of(SERVER_EGRESS), waitForPeers(listener), "the internet sees the server's address");
                int mss = mss(internet.exec("ss", "-tniH", "state", "established"));
                assertTrue(mss > 0 && mss <= 1400 - 40, "TCP MSS clamped to the tunnel MTU 1400: " + mss);
            }

            applied.close();
            assertEquals(rulesBefore, server.ruleset(), "our table is gone, the other one is exactly as it was");
            assertEquals("0", server.sysctl("net.ipv4.conf.tun0.forwarding"), "forwarding is back to its old value");
            assertEquals("0", server.sysctl("net.ipv4.conf.up0.forwarding"), "forwarding is back to its old value");
            assertFalse(TcpProbe.reaches(client, INTERNET, PORT), "nothing gets through after close");
            assertFalse(Files.exists(journal));
            cfg.deactivate();
        }
    }

    @Test
    void ipv6ClientsAreMasqueradedToo() throws Exception {
        String rulesBefore = server.ruleset();
        try (TcpProbe listener = TcpProbe.listen(internet, INTERNET_V6, PORT)) {
            assertFalse(TcpProbe.reaches(client, INTERNET_V6, PORT), "without forwarding and NAT nothing gets through");

            LinuxRouteConfigurator cfg = server.configurator(journal);
            AppliedRoutes applied = cfg.routeServer(new ServerRoutes("tun0", List.of(IpPrefix.parse("10.220.1.0/24"),
                    IpPrefix.parse("fd00:220:1::/64")), null, 1400));
            assertEquals("1", server.sysctl("net.ipv6.conf.all.forwarding"));
            assertTrue(TcpProbe.reaches(client, INTERNET_V6, PORT), "the client reaches the internet over IPv6");
            assertEquals(List.of(SERVER_EGRESS_V6), waitForPeers(listener), "with the server's IPv6 address");

            applied.close();
            assertEquals(rulesBefore, server.ruleset());
            assertEquals("0", server.sysctl("net.ipv6.conf.all.forwarding"));
            assertEquals("0", server.sysctl("net.ipv4.ip_forward"));
            assertFalse(TcpProbe.reaches(client, INTERNET_V6, PORT));
            cfg.deactivate();
        }
    }

    @Test
    void aTableNamedLikeOursThatIsAlreadyThereIsNeverTakenOver() throws Exception {
        server.exec("nft", "add", "table", "inet", "minivpn");
        server.exec("nft", "add", "chain", "inet", "minivpn", "mine");
        String rulesBefore = server.ruleset();
        LinuxRouteConfigurator cfg = server.configurator(journal);

        IOException e = assertThrows(IOException.class, () -> cfg.routeServer(new ServerRoutes("tun0",
                List.of(IpPrefix.parse("10.220.1.0/24")), "up0", 1400)));
        assertTrue(e.getMessage().contains("nft -f -") && e.getMessage().contains("File exists"), e.getMessage());
        assertEquals(rulesBefore, server.ruleset(), "the existing table is untouched");
        assertEquals("0", server.sysctl("net.ipv4.ip_forward"));
        assertFalse(Files.exists(journal));
        cfg.deactivate();
    }

    private static List<InetAddress> waitForPeers(TcpProbe listener) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (listener.peers().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return listener.peers();
    }

    private static int mss(String ss) {
        Matcher m = MSS.matcher(ss);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}

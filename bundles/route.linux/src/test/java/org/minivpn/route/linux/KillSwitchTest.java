package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;

/**
 * The kill switch, with real traffic, in namespaces this test makes:
 * <pre>
 *  mvrt-kc-* (client)                               mvrt-ki-* ('internet')
 *    up0 198.18.20.14/30 ----------veth----------- up0 198.18.20.13/30
 *    default via 198.18.20.13                       lo 198.18.23.1: the VPN server's endpoint, UDP 1194
 *    mvtun0: a TUN no process serves (the server       (the server itself is stopped)
 *            is stopped): what goes in goes nowhere lo 198.18.23.2: an internet host, TCP 8080
 * </pre>
 * When the tunnel's device goes away (the relay reconnecting), its routes go with it and traffic
 * falls back to the default route through the underlay, unless the kill switch drops it.
 */
class KillSwitchTest {

    private static final InetAddress SERVER = IpPrefix.parseAddress("198.18.23.1");
    private static final InetAddress HOST = IpPrefix.parseAddress("198.18.23.2");
    private static final int SERVER_PORT = 1194;
    private static final int PORT = 8080;

    @TempDir
    Path dir;

    private Netns client;
    private Netns internet;

    @BeforeEach
    void topology() throws IOException {
        Netns.require("/dev/net/tun");
        client = Netns.create("kc");
        internet = Netns.create("ki");
        client.veth("up0", internet, "up0");
        client.ip("addr", "add", "198.18.20.14/30", "dev", "up0");
        internet.ip("addr", "add", "198.18.20.13/30", "dev", "up0");
        internet.ip("addr", "add", "198.18.23.1/32", "dev", "lo");
        internet.ip("addr", "add", "198.18.23.2/32", "dev", "lo");
        client.ip("route", "add", "default", "via", "198.18.20.13");
        tun();
    }

    private void tun() throws IOException {
        client.exec("ip", "tuntap", "add", "dev", "mvtun0", "mode", "tun");
        client.ip("link", "set", "mvtun0", "up");
        client.ip("addr", "add", "10.220.2.2/24", "dev", "mvtun0");
    }

    @AfterEach
    void cleanUp() {
        if (client != null) {
            client.close();
        }
        if (internet != null) {
            internet.close();
        }
    }

    @Test
    void withoutTheKillSwitchTrafficLeaksThroughTheUnderlayOnceTheTunnelIsGone() throws Exception {
        LinuxRouteConfigurator cfg = client.configurator(dir.resolve("routes.journal"));
        try (TcpProbe host = TcpProbe.listen(internet, HOST, PORT)) {
            AppliedRoutes applied = cfg.routeClient(routes(false));
            assertFalse(TcpProbe.reaches(client, HOST, PORT), "while the tunnel is there, traffic goes into it");
            client.ip("link", "del", "mvtun0");
            assertTrue(TcpProbe.reaches(client, HOST, PORT), "with the tunnel gone, traffic leaks via the underlay");
            applied.close();
        } finally {
            cfg.deactivate();
        }
    }

    @Test
    void withTheKillSwitchNothingLeavesButThroughTheTunnelOrToTheServerUntilClose() throws Exception {
        String rulesBefore = client.ruleset();
        LinuxRouteConfigurator cfg = client.configurator(dir.resolve("routes.journal"));
        try (TcpProbe host = TcpProbe.listen(internet, HOST, PORT)) {
            assertTrue(TcpProbe.reaches(client, HOST, PORT), "the internet host answers before");
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (host.peers().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20); // the acceptor records the connection a moment after it is made
            }
            int seen = host.peers().size();
            assertEquals(1, seen);

            AppliedRoutes applied = cfg.routeClient(routes(true));
            assertFalse(TcpProbe.reaches(client, HOST, PORT));
            assertTrue(TcpProbe.udpArrives(client, internet, SERVER, SERVER_PORT), "the tunnel's own packets still go out");

            client.ip("link", "del", "mvtun0");
            assertFalse(TcpProbe.reaches(client, HOST, PORT), "with the tunnel gone, nothing goes via the underlay");
            assertFalse(TcpProbe.udpArrives(client, internet, HOST, SERVER_PORT), "nor UDP to anyone but the server");
            assertTrue(TcpProbe.udpArrives(client, internet, SERVER, SERVER_PORT), "the server can still be reached");

            tun(); // the relay reconnects with a new TUN of the same name
            assertFalse(TcpProbe.reaches(client, HOST, PORT), "the kill switch is kept while reconnecting");
            assertEquals(seen, host.peers().size(), "the internet host saw no connection while the switch was on");

            applied.close();
            assertEquals(rulesBefore, client.ruleset(), "the kill switch table is gone after close");
            assertTrue(TcpProbe.reaches(client, HOST, PORT), "traffic flows again after close");
        } finally {
            cfg.deactivate();
        }
    }

    private static ClientRoutes routes(boolean killSwitch) {
        return new ClientRoutes("mvtun0", SERVER, SERVER_PORT, true, List.of(), false, killSwitch);
    }
}

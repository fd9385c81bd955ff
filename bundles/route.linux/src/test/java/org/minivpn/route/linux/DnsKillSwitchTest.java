package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
import org.minivpn.api.route.ClientRoutes;

/**
 * Pushed resolvers in a client namespace, with the real kernel and nft:
 * <pre>
 *  mvp-dc-* (client)                                  mvp-di-* ('internet')
 *    up0 198.18.24.14/30 ----------veth------------ up0 198.18.24.13/30
 *    default via 198.18.24.13                        lo 198.18.25.1: the VPN server's endpoint
 *    mvtun0 10.220.4.2/24: a TUN no process serves   lo 198.18.25.53: a resolver outside the tunnel
 *    /etc/netns/mvp-dc-*&#47;resolv.conf: what ip netns exec shows it as /etc/resolv.conf
 * </pre>
 * The kill switch lets DNS out to the pushed resolver 10.220.4.1 only; the namespace's resolv.conf
 * names it while the routes are applied and is its original self, byte for byte, after.
 */
class DnsKillSwitchTest {

    private static final InetAddress SERVER = IpPrefix.parseAddress("198.18.25.1");
    private static final InetAddress PUSHED = IpPrefix.parseAddress("10.220.4.1");
    private static final byte[] ORIGINAL = "nameserver 198.18.25.53\noptions timeout:1\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private Netns client;
    private Netns internet;
    private Path resolvConf;
    private boolean madeEtcNetns;

    @BeforeEach
    void topology() throws IOException {
        Netns.require("/dev/net/tun");
        client = Netns.create("mvp", "dc");
        internet = Netns.create("mvp", "di");
        client.veth("up0", internet, "up0");
        client.ip("addr", "add", "198.18.24.14/30", "dev", "up0");
        internet.ip("addr", "add", "198.18.24.13/30", "dev", "up0");
        internet.ip("addr", "add", "198.18.25.1/32", "dev", "lo");
        internet.ip("addr", "add", "198.18.25.53/32", "dev", "lo");
        client.ip("route", "add", "default", "via", "198.18.24.13");
        client.exec("ip", "tuntap", "add", "dev", "mvtun0", "mode", "tun");
        client.ip("link", "set", "mvtun0", "up");
        client.ip("addr", "add", "10.220.4.2/24", "dev", "mvtun0");
        resolvConf = Path.of("/etc/netns", client.name, "resolv.conf");
        madeEtcNetns = !Files.exists(resolvConf.getParent().getParent());
        Files.createDirectories(resolvConf.getParent());
        Files.write(resolvConf, ORIGINAL);
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (resolvConf != null) {
            Files.deleteIfExists(resolvConf);
            Files.deleteIfExists(resolvConf.getParent());
            if (madeEtcNetns) {
                try {
                    Files.deleteIfExists(resolvConf.getParent().getParent());
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    // another test's namespace has its own file there now: leave the folder to it
                }
            }
        }
        if (client != null) {
            client.close();
        }
        if (internet != null) {
            internet.close();
        }
    }

    @Test
    void onlyThePushedResolverIsAskedAndTheNamespacesResolvConfComesBackByteForByte() throws Exception {
        String rulesBefore = client.ruleset();
        LinuxRouteConfigurator cfg = client.configurator(dir.resolve("routes.journal"));
        try {
            AppliedRoutes applied = cfg.routeClient(new ClientRoutes("mvtun0", SERVER, 1194, true, List.of(), false,
                    true, List.of(PUSHED), List.of("corp.example.com")));
            String seen = client.exec("cat", "/etc/resolv.conf");
            assertTrue(seen.contains("nameserver 10.220.4.1\nsearch corp.example.com\n"),
                    "ip netns exec shows the pushed resolver: " + seen);
            assertTrue(applied.changes().stream().anyMatch(c -> c.startsWith(resolvConf + ": nameserver 10.220.4.1")),
                    applied.changes().toString());

            assertTrue(sends(PUSHED, 53), "DNS to the pushed resolver goes into the tunnel");
            assertFalse(sends(IpPrefix.parseAddress("10.220.4.9"), 53), "DNS to another resolver through the tunnel: dropped");
            assertFalse(sends(IpPrefix.parseAddress("198.18.25.53"), 53), "the original resolver: dropped");
            assertFalse(sends(IpPrefix.parseAddress("10.220.4.9"), 853), "DNS over TLS elsewhere: dropped");
            assertTrue(sends(IpPrefix.parseAddress("10.220.4.9"), 5353), "other UDP through the tunnel passes");
            assertEquals(3, dnsDropped(), "each dropped query is counted");

            applied.close();
            assertArrayEquals(ORIGINAL, Files.readAllBytes(resolvConf));
            assertEquals(rulesBefore, client.ruleset());
            assertTrue(TcpProbe.udpArrives(client, internet, IpPrefix.parseAddress("198.18.25.53"), 53),
                    "after close the original resolver is reached again");
        } finally {
            cfg.deactivate();
        }
    }

    /** True when a UDP datagram to {@code address:port} leaves the client (the firewall did not refuse it). */
    private boolean sends(InetAddress address, int port) throws Exception {
        return InNamespace.call(client, Duration.ofSeconds(5), () -> {
            try (DatagramSocket d = new DatagramSocket()) {
                byte[] query = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
                d.send(new DatagramPacket(query, query.length, new InetSocketAddress(address, port)));
                return true;
            } catch (IOException e) {
                return false; // EPERM: dropped by the output hook
            }
        });
    }

    private long dnsDropped() throws IOException {
        String counter = client.exec("nft", "list", "counter", "inet", NftScripts.KILL_SWITCH_TABLE,
                NftScripts.DNS_DROPPED);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(counter);
        assertTrue(m.find(), counter);
        return Long.parseLong(m.group(1));
    }
}

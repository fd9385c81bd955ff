package org.minivpn.distribution;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.minivpn.distribution.Appliances.Result;
import org.minivpn.distribution.Appliances.Running;

/**
 * A newcomer's client, set up from one profile file, using the resolvers its server pushes, in two
 * network namespaces this test makes (as root):
 * <pre>
 *  mvp-PID-c (client)                                mvp-PID-s (server)
 *    c0 198.18.70.2/24 ------------veth------------ s0 198.18.70.1/24
 *    MiniVPN client (bin/minivpn under ip netns exec)  MiniVPN server: vpn:pki, dns = 10.7.0.1
 *    /etc/resolv.conf = /etc/netns/mvp-PID-c/resolv.conf  tun0 10.7.0.1/24
 *      (bound by ip netns exec), originally naming      lo 198.19.53.53: a resolver nobody pushed
 *      198.18.70.1, the server's underlay address       a DNS responder on *:53 (python3): 10.9.9.9
 *    nft table mvp_dnswatch counts DNS leaving by c0     to queries from the tunnel, 10.8.8.8 to others
 *      (underlay) and by tun0
 * </pre>
 * The client gets its CA, certificate, key and server from {@code bin/minivpn --import}. While it
 * is connected a lookup is answered through the tunnel and no DNS crosses the underlay; its
 * resolv.conf is byte for byte the original after vpn:disconnect, and after kill -9 of the client
 * appliance once it is started again. With the kill switch, DNS to a resolver nobody pushed gets
 * no answer; with {@code dns = off} the file is left alone.
 */
public class DnsIT {

    private static final String PID = Long.toString(ProcessHandle.current().pid());
    private static final String CLIENT_NS = "mvp-" + PID + "-c";
    private static final String SERVER_NS = "mvp-" + PID + "-s";
    private static final Path RESOLV_CONF = Path.of("/etc/netns", CLIENT_NS, "resolv.conf");
    private static final byte[] ORIGINAL = ("# the client namespace's own resolver configuration\n"
            + "nameserver 198.18.70.1\noptions timeout:1 attempts:1\n").getBytes(StandardCharsets.US_ASCII);

    /** Answers A queries: 10.9.9.9 to a client in the tunnel (10.7.0.0/24), 10.8.8.8 to anyone else; logs each. */
    private static final String RESPONDER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', 53))",
            "log = open(sys.argv[1], 'a', buffering=1)",
            "while True:",
            "    q, peer = s.recvfrom(512)",
            "    if len(q) < 17: continue",
            "    i, labels = 12, []",
            "    while i < len(q) and q[i] != 0:",
            "        labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace')); i += 1 + q[i]",
            "    qtype, end = q[i + 1:i + 3], i + 5",
            "    log.write(peer[0] + ' ' + '.'.join(labels) + '\\n')",
            "    a = qtype == b'\\x00\\x01'",
            "    ip = bytes([10, 9, 9, 9]) if peer[0].startswith('10.7.0.') else bytes([10, 8, 8, 8])",
            "    head = q[:2] + b'\\x81\\x80\\x00\\x01' + (b'\\x00\\x01' if a else b'\\x00\\x00') + b'\\x00\\x00\\x00\\x00'",
            "    answer = b'\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x3c\\x00\\x04' + ip if a else b''",
            "    s.sendto(head + q[12:end] + answer, peer)",
            "");

    /** Sends one A query for sys.argv[2] to sys.argv[1]:53; prints the answer's address, 'no answer' or 'refused'. */
    private static final String ASK = String.join("\n",
            "import socket, sys",
            "q = b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00'",
            "q += b''.join(bytes([len(l)]) + l.encode() for l in sys.argv[2].split('.')) + b'\\x00\\x00\\x01\\x00\\x01'",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)",
            "try:",
            "    s.sendto(q, (sys.argv[1], 53)); r = s.recv(512); print('.'.join(str(b) for b in r[-4:]))",
            "except PermissionError: print('refused')",
            "except OSError: print('no answer')",
            "");

    private final List<Running> appliances = new ArrayList<>();
    private Process responder;
    private Path work;
    private Path queries;
    private boolean madeEtcNetns;

    @Before
    public void namespaces() throws Exception {
        assumeTrue("needs root: network namespaces and TUN devices", "root".equals(System.getProperty("user.name")));
        for (String tool : List.of("ip", "nft", "python3")) {
            assumeTrue(tool + " is missing (apt-get install -y iproute2 nftables python3; .ci/run installs them)",
                    onPath(tool));
        }
        work = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve("dns");
        ApplianceOptions.deleteTree(work);
        Files.createDirectories(work);
        queries = work.resolve("queries.log");
        sh("ip", "netns", "add", CLIENT_NS);
        sh("ip", "netns", "add", SERVER_NS);
        sh("ip", "-n", CLIENT_NS, "link", "set", "lo", "up");
        sh("ip", "-n", SERVER_NS, "link", "set", "lo", "up");
        sh("ip", "-n", CLIENT_NS, "link", "add", "c0", "type", "veth", "peer", "name", "s0", "netns", SERVER_NS);
        sh("ip", "-n", CLIENT_NS, "addr", "add", "198.18.70.2/24", "dev", "c0");
        sh("ip", "-n", SERVER_NS, "addr", "add", "198.18.70.1/24", "dev", "s0");
        sh("ip", "-n", SERVER_NS, "addr", "add", "198.19.53.53/32", "dev", "lo");
        sh("ip", "-n", CLIENT_NS, "link", "set", "c0", "up");
        sh("ip", "-n", SERVER_NS, "link", "set", "s0", "up");
        sh("ip", "-n", CLIENT_NS, "route", "add", "default", "via", "198.18.70.1");
        madeEtcNetns = !Files.exists(RESOLV_CONF.getParent().getParent());
        Files.createDirectories(RESOLV_CONF.getParent());
        Files.write(RESOLV_CONF, ORIGINAL);
        sh(List.of("ip", "netns", "exec", CLIENT_NS, "nft", "-f", "-"), "table inet mvp_dnswatch {\n"
                + "  counter underlay {\n  }\n  counter tunnel {\n  }\n"
                + "  chain out {\n    type filter hook output priority -300; policy accept;\n"
                + "    oifname \"c0\" meta l4proto { tcp, udp } th dport 53 counter name underlay\n"
                + "    oifname \"tun0\" meta l4proto { tcp, udp } th dport 53 counter name tunnel\n  }\n}\n");
        responder = new ProcessBuilder("ip", "netns", "exec", SERVER_NS, "python3", "-c", RESPONDER, queries.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("responder.log").toFile()).start();
    }

    @After
    public void cleanUp() throws Exception {
        for (Running r : appliances) {
            r.close();
        }
        if (responder != null) {
            responder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (String ns : List.of(CLIENT_NS, SERVER_NS)) {
            run(List.of("ip", "netns", "del", ns), null);
        }
        Files.deleteIfExists(RESOLV_CONF);
        Files.deleteIfExists(RESOLV_CONF.getParent());
        if (madeEtcNetns) {
            try {
                Files.deleteIfExists(RESOLV_CONF.getParent().getParent());
            } catch (java.nio.file.DirectoryNotEmptyException e) {
                // another namespace has a file of its own there now
            }
        }
    }

    @Test
    public void lookupsGoThroughTheTunnelAndTheOriginalResolvConfComesBackAfterDisconnectAndAfterKill9() throws Exception {
        Path server = appliance("dns-server");
        Path client = appliance("dns-client");
        Files.writeString(server.resolve("configs/org.minivpn.relay.server.cfg"),
                "pool = 10.7.0.0/24\negress = s0\ndns = 10.7.0.1\ndns.search = corp.example.test\n");
        Running s = start(SERVER_NS, server);
        ok(s.ctl("vpn:pki", "init"));
        ok(s.ctl("vpn:pki", "server", "server", "--san", "198.18.70.1"));
        ok(s.ctl("vpn:pki", "client", "alice"));
        ok(s.ctl("vpn:pki", "export", "alice", "--profile", work.resolve("alice.minivpn").toString(), "--server",
                "198.18.70.1"));
        ok(s.ctl("vpn:serve"));
        ok(Appliances.exec(client, "bin/minivpn", "--import", work.resolve("alice.minivpn").toString()));

        Running c = start(CLIENT_NS, client);
        assertEquals("before connecting, the original resolver answers over the underlay", "10.8.8.8", lookup("probe"));
        long underlay = counter("underlay");
        assertTrue("the watch counts DNS on the underlay", underlay > 0);
        String rulesBefore = clientState();

        ok(c.ctl("vpn:connect"));
        assertEquals("connected, the pushed resolver answers through the tunnel", "10.9.9.9", lookup("probe"));
        assertTrue(Files.readString(queries), Files.readString(queries).contains("10.7.0.2 probe.corp.example.test"));
        assertEquals("no DNS crossed the underlay while connected", underlay, counter("underlay"));
        assertTrue(counter("tunnel") > 0);
        assertEquals("without the kill switch, another resolver is reached through the tunnel", "10.9.9.9",
                ask("198.19.53.53", "direct.example.test"));
        Result routes = ok(c.ctl("vpn:routes"));
        assertTrue(routes.out(), routes.out().contains("/etc/resolv.conf: nameserver 10.7.0.1"));

        ok(c.ctl("vpn:disconnect"));
        assertArrayEquals("after disconnect: the original, byte for byte", ORIGINAL, Files.readAllBytes(RESOLV_CONF));

        ok(c.ctl("vpn:connect"));
        assertFalse(Arrays.equals(ORIGINAL, Files.readAllBytes(RESOLV_CONF)));
        c.process.destroyForcibly(); // kill -9: no shutdown hook, no deactivation
        assertTrue(c.process.waitFor(15, TimeUnit.SECONDS));
        assertFalse("kill -9 left the pushed resolver in place", Arrays.equals(ORIGINAL, Files.readAllBytes(RESOLV_CONF)));
        setClient(client, "kill.switch = true");
        c = start(CLIENT_NS, client);
        assertArrayEquals("after kill -9 and a restart: the original, byte for byte", ORIGINAL,
                Files.readAllBytes(RESOLV_CONF));
        assertTrue(c.output(), c.output().contains("the last run ended without undoing its routing"));
        assertEquals("and the routes, rules and tables of before", rulesBefore, clientState());

        ok(c.ctl("vpn:connect"));
        assertEquals("with the kill switch, the pushed resolver still answers", "10.9.9.9", lookup("probe"));
        assertEquals("and DNS to any other resolver is dropped", "refused", ask("198.19.53.53", "direct.example.test"));
        ok(c.ctl("vpn:disconnect"));
        assertArrayEquals(ORIGINAL, Files.readAllBytes(RESOLV_CONF));
        assertEquals(rulesBefore, clientState());

        setClient(client, "dns = off");
        ok(c.ctl("vpn:connect"));
        assertArrayEquals("dns = off leaves resolution alone", ORIGINAL, Files.readAllBytes(RESOLV_CONF));
        ok(c.ctl("vpn:disconnect"));
    }

    /** A copy of the distribution with a kernel TUN device tun0, as the namespaces get one each. */
    private static Path appliance(String name) throws IOException {
        Path home = Appliances.copy(name);
        Files.writeString(home.resolve("configs/org.minivpn.tun.linux-tun0.cfg"), "name = tun0\nmtu = 1400\n");
        return home;
    }

    private Running start(String ns, Path home) throws Exception {
        Running r = Running.inNamespace(ns, home);
        appliances.add(r);
        return r.awaitReady();
    }

    /**
     * Sets one line of the client's configuration, the appliance being stopped or running (then
     * FileInstall applies it within its 1 s poll; the wait is generous for a loaded machine).
     */
    private static void setClient(Path home, String line) throws Exception {
        Path cfg = home.resolve("configs/org.minivpn.relay.client.cfg");
        Files.writeString(cfg, Files.readString(cfg) + line + "\n");
        Thread.sleep(3000);
    }

    /** Looks {@code name} up as any program in the client namespace does (glibc, its /etc/resolv.conf). */
    private String lookup(String name) throws Exception {
        return sh("ip", "netns", "exec", CLIENT_NS, "python3", "-c",
                "import socket, sys\ntry: print(socket.gethostbyname(sys.argv[1]))\nexcept OSError as e: print(e)", name)
                .strip();
    }

    private String ask(String resolver, String name) throws Exception {
        return sh("ip", "netns", "exec", CLIENT_NS, "python3", "-c", ASK, resolver, name).strip();
    }

    private long counter(String name) throws Exception {
        String out = sh("ip", "netns", "exec", CLIENT_NS, "nft", "list", "counter", "inet", "mvp_dnswatch", name);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        assertTrue(out, m.find());
        return Long.parseLong(m.group(1));
    }

    /**
     * The client namespace's routes, rules and nft tables, but the test's own watch and the routes
     * of tun0 itself (each start of the appliance makes the device anew, with a new link-local address).
     */
    private String clientState() throws Exception {
        String routes = sh("ip", "-n", CLIENT_NS, "route", "show", "table", "all").lines()
                .filter(l -> !l.contains(" dev tun0 proto kernel") && !l.contains(" dev tun0 table local proto kernel"))
                .collect(java.util.stream.Collectors.joining("\n"));
        return routes + "\n" + sh("ip", "-n", CLIENT_NS, "rule")
                + sh("ip", "netns", "exec", CLIENT_NS, "nft", "list", "tables").replace("table inet mvp_dnswatch\n", "");
    }

    private static Result ok(Result r) {
        assertEquals(r.err() + r.out(), 0, r.status());
        return r;
    }

    private static String sh(String... argv) throws Exception {
        return sh(List.of(argv), null);
    }

    private static String sh(List<String> argv, String stdin) throws Exception {
        Result r = run(argv, stdin);
        assertEquals(String.join(" ", argv) + ": " + r.out(), 0, r.status());
        return r.out();
    }

    private static Result run(List<String> argv, String stdin) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish within 30 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), "");
    }

    private static boolean onPath(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}

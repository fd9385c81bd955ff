package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * A client on a network that drops UDP falls back to TLS over TCP, and moves back to DTLS at the same
 * tunnel address once UDP passes again, in two network namespaces this test makes (as root):
 * <pre>
 *  mvb-PID-c (client)                                 mvb-PID-s (server)
 *    c0 198.18.72.2/24 ------------veth------------- s0 198.18.72.1/24
 *    MiniVPN client, transports = dtls, tls            MiniVPN server, transport = dtls, tls
 *    TLS transport deployed from extras/               TLS transport deployed from extras/
 *    nft table mvb_block drops UDP from 198.18.72.1     tun0 10.7.0.1/24
 *    policy routing (route.linux): the TCP socket
 *      must carry the mark or it loops into tun0
 * </pre>
 */
public class TransportFallbackIT {

    private static final String PID = Long.toString(ProcessHandle.current().pid());
    private static final String CLIENT_NS = "mvb-" + PID + "-c";
    private static final String SERVER_NS = "mvb-" + PID + "-s";
    private static final Pattern CONNECTED_IN = Pattern.compile(" in (\\d+) ms");

    private final List<Running> appliances = new ArrayList<>();
    private Path work;

    @Before
    public void namespaces() throws Exception {
        assumeTrue("needs root: network namespaces and TUN devices", "root".equals(System.getProperty("user.name")));
        for (String tool : List.of("ip", "nft", "ping")) {
            assumeTrue(tool + " is missing (apt-get install -y iproute2 nftables iputils-ping)", onPath(tool));
        }
        work = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve("fallback");
        ApplianceOptions.deleteTree(work);
        Files.createDirectories(work);
        sh("ip", "netns", "add", CLIENT_NS);
        sh("ip", "netns", "add", SERVER_NS);
        sh("ip", "-n", CLIENT_NS, "link", "set", "lo", "up");
        sh("ip", "-n", SERVER_NS, "link", "set", "lo", "up");
        sh("ip", "-n", CLIENT_NS, "link", "add", "c0", "type", "veth", "peer", "name", "s0", "netns", SERVER_NS);
        sh("ip", "-n", CLIENT_NS, "addr", "add", "198.18.72.2/24", "dev", "c0");
        sh("ip", "-n", SERVER_NS, "addr", "add", "198.18.72.1/24", "dev", "s0");
        sh("ip", "-n", CLIENT_NS, "link", "set", "c0", "up");
        sh("ip", "-n", SERVER_NS, "link", "set", "s0", "up");
        sh("ip", "-n", CLIENT_NS, "route", "add", "default", "via", "198.18.72.1");
    }

    @After
    public void cleanUp() throws Exception {
        for (Running r : appliances) {
            r.close();
        }
        for (String ns : List.of(CLIENT_NS, SERVER_NS)) {
            run(List.of("ip", "netns", "del", ns), null);
        }
    }

    @Test
    public void withUdpBlockedTheClientComesUpOverTlsAndMovesBackToDtlsAtTheSameAddress() throws Exception {
        Path server = appliance("fallback-server");
        Path client = appliance("fallback-client");
        Files.writeString(server.resolve("configs/org.minivpn.relay.server.cfg"),
                "pool = 10.7.0.0/24\negress = s0\ntransport = dtls, tls\n");
        Running s = start(SERVER_NS, server);
        ok(s.ctl("vpn:pki", "init"));
        ok(s.ctl("vpn:pki", "server", "server", "--san", "198.18.72.1"));
        ok(s.ctl("vpn:pki", "client", "alice"));
        ok(s.ctl("vpn:pki", "export", "alice", "--profile", work.resolve("alice.minivpn").toString(), "--server",
                "198.18.72.1"));
        ok(s.ctl("vpn:serve"));
        Result status = ok(s.ctl("vpn:status"));
        assertTrue(status.out(), status.out().contains("serving"));
        ok(Appliances.exec(client, "bin/minivpn", "--import", work.resolve("alice.minivpn").toString()));
        Path cfg = client.resolve("configs/org.minivpn.relay.client.cfg");
        Files.writeString(cfg, Files.readString(cfg) + "\ntransports = dtls, tls\n");

        sh(List.of("ip", "netns", "exec", CLIENT_NS, "nft", "-f", "-"), "table inet mvb_block {\n"
                + "  chain in {\n    type filter hook input priority 0; policy accept;\n"
                + "    ip saddr 198.18.72.1 meta l4proto udp drop\n  }\n}\n");
        // The server's UDP answers are dropped on the way in, as a network that blocks UDP does; a drop
        // on the way out would fail the send locally with EPERM instead of leaving it unanswered.
        Running c = start(CLIENT_NS, client);
        Result connected = ok(c.ctl("vpn:connect"));
        System.out.println("with UDP blocked: " + connected.out().strip());
        assertTrue(connected.out(), connected.out().contains(" over tls "));
        Matcher m = CONNECTED_IN.matcher(connected.out());
        assertTrue(connected.out(), m.find());
        assertTrue("up over tls within 5 s: " + connected.out(), Long.parseLong(m.group(1)) <= 5000);
        // what the connect logged on its own thread reaches minivpn-ctl's stderr, as at the prompt
        String log = connected.err() + c.output() + appLog(client);
        assertTrue(log, log.contains("dtls cannot reach") && log.contains("trying tls"));
        String address = tunnelAddress(ok(c.ctl("vpn:status")).out());
        ping("10.7.0.1");

        sh("ip", "netns", "exec", CLIENT_NS, "nft", "delete", "table", "inet", "mvb_block");
        Result moved = ok(c.ctl("vpn:connect", "-t", "dtls"));
        System.out.println("UDP open again: " + moved.out().strip());
        Result after = ok(c.ctl("vpn:status"));
        assertTrue(after.out(), after.out().matches("(?s).*transport\\s+dtls.*"));
        assertEquals("the move keeps the tunnel address", address, tunnelAddress(after.out()));
        ping("10.7.0.1");
        Result sessions = ok(s.ctl("vpn:sessions"));
        assertEquals(sessions.out(), 1, sessions.out().lines().filter(l -> l.contains("alice")).count());
        ok(c.ctl("vpn:disconnect"));
    }

    private static String tunnelAddress(String status) {
        Matcher m = Pattern.compile("(10\\.7\\.0\\.\\d+)").matcher(status);
        assertTrue(status, m.find());
        return m.group(1);
    }

    private void ping(String to) throws Exception {
        Result r = run(List.of("ip", "netns", "exec", CLIENT_NS, "ping", "-c", "3", "-W", "2", to), null);
        assertEquals("ping " + to + " through the tunnel: " + r.out(), 0, r.status());
    }

    private static String appLog(Path home) throws Exception {
        Path log = home.resolve("run/appliance.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** A copy of the distribution with a kernel TUN device tun0 and the TLS transport deployed from extras/. */
    private static Path appliance(String name) throws Exception {
        Path home = Appliances.copy(name);
        Files.writeString(home.resolve("configs/org.minivpn.tun.linux-tun0.cfg"), "name = tun0\nmtu = 1400\n");
        Path jar = home.resolve("extras/org.minivpn.transport.tls.jar");
        assertTrue("the build puts the TLS transport in extras/: " + jar, Files.isRegularFile(jar));
        Files.createDirectories(home.resolve("deploy"));
        Files.copy(jar, home.resolve("deploy").resolve(jar.getFileName()));
        return home;
    }

    private Running start(String ns, Path home) throws Exception {
        Running r = Running.inNamespace(ns, home);
        appliances.add(r);
        return r.awaitReady();
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

package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * The end-to-end tests, as root, in network namespaces the scripts create and delete: launched
 * distributions, certificates from vpn:pki, DTLS, real TUN devices, routing and NAT, real traffic.
 * scripts/demo --check is the seed's evaluation; scripts/test-relay is one server with two clients;
 * scripts/load is one server with a real client and the load generator's sessions; scripts/attack
 * attacks a server and its clients; scripts/test-original runs a peer that behaves as the original
 * C MiniVPN against our server and our client; scripts/faults crashes the server, starts appliances
 * and connects at once, drops datagrams, moves the client's address and soaks; scripts/test-web
 * opens both status pages in headless Chromium while traffic flows.
 */
public class EndToEndIT {

    @Test
    public void theDemoPassesItsChecks() throws Exception {
        runScript("demo", List.of("--check"), "python3", "curl", "tcpdump");
    }

    @Test
    public void twoClientsReachTheServerAndEachOtherOverIpv4AndIpv6AndIperf3Completes() throws Exception {
        runScript("test-relay", List.of(), "iperf3");
    }

    /** A small run of the load test (the full one is 1,000 sessions), so that it keeps working. */
    @Test
    public void oneServerHoldsFiftyLoadGeneratorSessionsAndAClient() throws Exception {
        runScript("load", List.of("--clients", "50"), "jcmd", "jstat");
    }

    /**
     * A peer that behaves as the original C MiniVPN (tools/original-peer, built with gcc against
     * OpenSSL) as the client of our server and as the server of our plain client: pings and iperf3
     * both ways for 60 s, and the original's peer is still alive at the end.
     */
    @Test
    public void theOriginalMiniVpnsClientAndServerWorkWithOursBothWays() throws Exception {
        assumeTrue("libssl-dev is missing (.ci/run installs it)", Files.exists(Path.of("/usr/include/openssl/ssl.h")));
        runScript("test-original", List.of(), "iperf3", "gcc", "python3");
    }

    /** Every row of scripts/attack: attacks from outside, from a client with its own certificate, from the path. */
    @Test
    public void everyAttackOfScriptsAttackIsHeldOff() throws Exception {
        runScript("attack", List.of(), "python3", "curl", "jcmd", "jstat");
    }

    /**
     * Every row of scripts/faults in its quick form (5 start-then-connect tries, 3 connects at 30 %
     * loss) with the 2-minute soak: a killed server back within seconds, readiness, heavy loss,
     * roaming, an IPv6 underlay, flat memory.
     */
    @Test
    public void everyFaultOfScriptsFaultsIsSurvived() throws Exception {
        runScript("faults", List.of("--quick"), 600, "iperf3", "python3", "jcmd", "jstat");
    }

    /**
     * The status pages of a server and a client with traffic through the tunnel, rendered by headless
     * Chromium (screenshots in target/web/): the DOM shows the client's identity, its address, the
     * live chart and a non-zero rate; /metrics counts what vpn:sessions shows; the refusals hold.
     */
    @Test
    public void theStatusPageShowsTheLiveTunnelInHeadlessChromiumAndMetricsMatchVpnSessions() throws Exception {
        runScript("test-web", List.of(), "chromium", "iperf3", "curl", "python3");
    }

    /** Runs scripts/NAME with ARGS as root; its output goes to target/it/NAME.log. */
    private static void runScript(String name, List<String> args, String... tools) throws Exception {
        runScript(name, args, 240, tools);
    }

    /** Runs scripts/NAME with ARGS as root, for at most {@code seconds}; its output goes to target/it/NAME.log. */
    private static void runScript(String name, List<String> args, int seconds, String... tools) throws Exception {
        assumeTrue("needs root: network namespaces and TUN devices", "root".equals(System.getProperty("user.name")));
        for (String tool : java.util.stream.Stream.concat(java.util.stream.Stream.of("ip", "nft", "ping"),
                java.util.stream.Stream.of(tools)).toList()) {
            assumeTrue(tool + " is missing (.ci/run installs it)", onPath(tool));
        }
        Path repo = ApplianceOptions.dist().getParent().getParent().getParent();
        Path log = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve(name + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(repo.resolve("scripts/" + name).toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        System.out.println(out);
        assertEquals("scripts/" + name + " finished within " + seconds + " s:\n" + out, true, done);
        assertEquals("scripts/" + name + ":\n" + out, 0, p.exitValue());
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}

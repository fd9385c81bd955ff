package org.minivpn.distribution;

import static org.junit.Assume.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.minivpn.testsupport.Needs;

/**
 * The end-to-end tests, as root, in network namespaces the scripts create and delete: launched
 * distributions, certificates from vpn:pki, DTLS, real TUN devices, routing and NAT, real traffic.
 * scripts/demo --check is the seed's evaluation; scripts/test-relay is one server with two clients;
 * scripts/load is one server with a real client and the load generator's sessions; scripts/attack
 * attacks a server and its clients; scripts/test-original runs a peer that behaves as the original
 * C MiniVPN against our server and our client.
 */
public class EndToEndIT {

    @Test
    public void theDemoPassesItsChecks() throws Exception {
        runScript("demo", List.of("--check"));
    }

    @Test
    public void twoClientsReachTheServerAndEachOtherOverIpv4AndIpv6AndIperf3Completes() throws Exception {
        runScript("test-relay", List.of());
    }

    /** A small run of the load test (the full one is 1,000 sessions), so that it keeps working. */
    @Test
    public void oneServerHoldsFiftyLoadGeneratorSessionsAndAClient() throws Exception {
        runScript("load", List.of("--clients", "50"));
    }

    /**
     * A peer that behaves as the original C MiniVPN (tools/original-peer, built with gcc against
     * OpenSSL) as the client of our server and as the server of our plain client: pings and iperf3
     * both ways for 60 s, and the original's peer is still alive at the end.
     */
    @Test
    public void theOriginalMiniVpnsClientAndServerWorkWithOursBothWays() throws Exception {
        runScript("test-original", List.of());
    }

    /** Every row of scripts/attack: attacks from outside, from a client with its own certificate, from the path. */
    @Test
    public void everyAttackOfScriptsAttackIsHeldOff() throws Exception {
        runScript("attack", List.of());
    }

    /**
     * Runs scripts/NAME with ARGS as root, for at most 240 s; its output goes to target/it/NAME.log.
     * Only root starts a script; each then checks the programs it needs itself (scripts/lib/needs.sh)
     * and is skipped with its own line when one is missing.
     */
    private static void runScript(String name, List<String> args) throws Exception {
        String why = Needs.unmet(true);
        assumeTrue(why, why == null);
        Path repo = ApplianceOptions.dist().getParent().getParent().getParent();
        Path log = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve(name + ".log");
        Scripts.run(repo.resolve("scripts").resolve(name), args, 240, log);
    }
}

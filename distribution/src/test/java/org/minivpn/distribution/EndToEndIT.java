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
 * C MiniVPN against our server and our client; scripts/faults crashes the server, starts appliances
 * and connects at once, drops datagrams, moves the client's address and soaks; scripts/test-web
 * opens both status pages in headless Chromium while traffic flows; scripts/demo-hotswap swaps
 * transports, the TUN device and the crypto backend under a live transfer.
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
     * Every row of scripts/faults in its quick form (5 start-then-connect tries, 3 connects at 30 %
     * loss) with the 2-minute soak: a killed server back within seconds, readiness, heavy loss,
     * roaming, an IPv6 underlay, flat memory.
     */
    @Test
    public void everyFaultOfScriptsFaultsIsSurvived() throws Exception {
        runScript("faults", List.of("--quick"), 600);
    }

    /**
     * The status pages of a server and a client with traffic through the tunnel, rendered by headless
     * Chromium (screenshots in target/web/): the DOM shows the client's identity, its address, the
     * live chart and a non-zero rate; /metrics counts what vpn:sessions shows; the refusals hold.
     */
    @Test
    public void theStatusPageShowsTheLiveTunnelInHeadlessChromiumAndMetricsMatchVpnSessions() throws Exception {
        runScript("test-web", List.of());
    }

    /**
     * Hot-swap under a running iperf3 transfer: the TLS bundle deployed into both appliances, the
     * tunnel moved DTLS -> TLS -> DTLS, tun.linux updated, the crypto backend switched, then a fresh
     * connect with UDP blocked falls back to TLS; the tunnel address stays the same throughout.
     */
    @Test
    public void theTunnelSurvivesEveryHotSwapOfScriptsDemoHotswap() throws Exception {
        runScript("demo-hotswap", List.of("--check"));
    }

    /**
     * Runs scripts/NAME with ARGS as root, for at most 240 s; its output goes to target/it/NAME.log.
     * Only root starts a script; each then checks the programs it needs itself (scripts/lib/needs.sh)
     * and is skipped with its own line when one is missing.
     */
    private static void runScript(String name, List<String> args) throws Exception {
        runScript(name, args, 240);
    }

    /** As {@link #runScript(String, List)}, for at most {@code seconds}. */
    private static void runScript(String name, List<String> args, int seconds) throws Exception {
        String why = Needs.unmet(true);
        assumeTrue(why, why == null);
        Path repo = ApplianceOptions.dist().getParent().getParent().getParent();
        Path log = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve(name + ".log");
        Scripts.run(repo.resolve("scripts").resolve(name), args, seconds, log);
    }
}

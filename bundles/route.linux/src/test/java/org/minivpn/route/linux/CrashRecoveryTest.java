package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;

/**
 * A client killed with SIGKILL while connected leaves its journal; the next configurator that
 * starts puts the original routes and firewall back before anything else. In the namespaces of a
 * {@link ClientTopology}.
 */
class CrashRecoveryTest {

    @TempDir
    Path dir;

    private ClientTopology net;
    private Netns client;
    private Path journal;

    @BeforeEach
    void topology() throws IOException {
        Netns.require("/dev/net/tun");
        journal = dir.resolve("run/routes.journal");
        net = ClientTopology.create();
        client = net.client;
    }

    @AfterEach
    void cleanUp() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void afterKill9TheNextStartPutsTheOriginalRoutesBackBeforeAnythingElse() throws Exception {
        String routesBefore = client.routes();
        String rulesBefore = client.ruleset();

        Process crashing = startCrashingClient();
        try {
            assertEquals("applied", firstLine(crashing), "the client in the child JVM applied its routes");
            assertNotEquals(routesBefore, client.routes());
            assertTrue(client.ruleset().contains("minivpn_killswitch"));
            crashing.destroyForcibly(); // SIGKILL: no shutdown hook, no deactivation
            assertTrue(crashing.waitFor(10, TimeUnit.SECONDS), "the child JVM is dead");
        } finally {
            crashing.destroyForcibly();
        }
        assertEquals(137, crashing.exitValue(), "killed by SIGKILL");
        assertNotEquals(routesBefore, client.routes(), "kill -9 left the routes behind");
        assertTrue(Files.exists(journal), "and the journal that says how to undo them");

        LinuxRouteConfigurator restarted = client.configurator(journal);
        assertEquals(routesBefore, client.routes(), "the original routes are back at activation");
        assertEquals(rulesBefore, client.ruleset(), "the kill switch table is gone");
        assertFalse(Files.exists(journal));

        AppliedRoutes again = restarted.routeClient(new ClientRoutes("mvtun0", IpPrefix.parseAddress("198.18.21.1"),
                1194, true, List.of(), true, true));
        assertEquals(6, again.changes().size(), "it connects again as usual: " + again.changes());
        restarted.deactivate();
        assertEquals(routesBefore, client.routes());
    }

    @Test
    void activationWithoutAJournalChangesNothing() throws Exception {
        client.ip("route", "add", "10.220.77.0/24", "dev", "mvtun0", "proto", ClientPlan.PROTO);
        String routesBefore = client.routes();
        String rulesBefore = client.ruleset();

        LinuxRouteConfigurator cfg = client.configurator(journal);
        assertEquals(routesBefore, client.routes(), "even a route that looks like ours is left alone");
        assertEquals(rulesBefore, client.ruleset());
        assertFalse(Files.exists(journal.getParent()), "not even the journal's folder is created");
        cfg.deactivate();
        assertEquals(routesBefore, client.routes());
    }

    @Test
    void aJournalFromAnEarlierBootIsDroppedWithoutRunningItButOneFromThisBootIsReplayed() throws Exception {
        client.ip("route", "add", "10.220.77.0/24", "dev", "mvtun0", "proto", ClientPlan.PROTO);
        String undo = "do 1.1 ip netns exec " + client.name + " ip -4 route del 10.220.77.0%2F24 dev mvtun0 proto 77\n";
        Files.createDirectories(journal.getParent());

        Files.writeString(journal, "boot 00000000-0000-0000-0000-000000000000\n" + undo, StandardCharsets.UTF_8);
        client.configurator(journal).deactivate();
        assertTrue(client.ip("route", "show").contains("10.220.77.0/24"), "after a reboot the journal is not run");
        assertFalse(Files.exists(journal));

        Files.writeString(journal, "boot " + RouteJournal.bootId() + "\n" + undo, StandardCharsets.UTF_8);
        client.configurator(journal).deactivate();
        assertFalse(client.ip("route", "show").contains("10.220.77.0/24"), "in the same boot it is replayed");
        assertFalse(Files.exists(journal));
    }

    private Process startCrashingClient() throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-cp", classpath, CrashingClient.class.getName(),
                journal.toString(), client.name)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String firstLine(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return "read failed: " + e.getMessage();
            }
        }).get(30, TimeUnit.SECONDS);
    }
}

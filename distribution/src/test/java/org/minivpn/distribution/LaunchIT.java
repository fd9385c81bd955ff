package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.BeforeClass;
import org.junit.Test;
import org.minivpn.distribution.Appliances.Result;
import org.minivpn.distribution.Appliances.Running;
import org.minivpn.testsupport.Needs;

/**
 * The distribution as a person uses it: bin/minivpn started headless, driven with bin/minivpn-ctl,
 * two copies side by side, and the failures a user can run into.
 */
public class LaunchIT {

    private static Path home;

    @BeforeClass
    public static void copyDistribution() throws Exception {
        home = Appliances.copy("launch");
    }

    @Test
    public void ctlRunsCommandsInTheRunningAppliance() throws Exception {
        try (Running app = new Running(home).awaitReady()) {
            Result lb = app.ctl("lb");
            assertEquals(lb.err(), 0, lb.status());
            for (String bundle : new String[] {"org.minivpn.api", "org.minivpn.control", "org.minivpn.shell"}) {
                assertTrue(bundle + " listed active:\n" + lb.out(),
                        lb.out().lines().anyMatch(l -> l.contains("Active") && l.contains(bundle)));
            }
            assertFalse("no bundle in another state:\n" + lb.out(),
                    lb.out().lines().anyMatch(l -> l.matches("\\s*\\d+\\|(Installed|Resolved).*")));

            Result status = app.ctl("vpn:status");
            assertEquals(0, status.status());
            assertTrue(status.out(), status.out().contains("DISCONNECTED"));

            Result missing = app.ctl("vpn:nosuchcommand");
            assertEquals(1, missing.status());
            assertTrue(missing.err(), missing.err().contains("vpn:nosuchcommand"));

            assertEquals("the control socket is for its owner only", "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("run/minivpn.sock"))));
            assertEquals("run/ is made for its owner only, whatever the umask", "rwx------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("run"))));

            Result second = Appliances.exec(home, "bin/minivpn", "--headless");
            assertEquals(second.err(), 1, second.status());
            assertTrue(second.err(), second.err().contains("already running"));

            assertEquals("SIGTERM stops the appliance cleanly, with status 0", 0, app.stop());
            assertFalse("the control socket is removed on stop", Files.exists(home.resolve("run/minivpn.sock")));
        }
        Result none = Appliances.ctl(home, "lb");
        assertEquals(3, none.status());
        assertTrue(none.err(), none.err().contains("no MiniVPN appliance is running"));

        Result waited = Appliances.ctl(home, "--wait-ready", "1", "lb");
        assertEquals("--wait-ready times out with the timeout status", 4, waited.status());
        assertTrue(waited.err(), waited.err().contains("not ready within 1 s"));
    }

    /**
     * A script starts the appliance and at once runs a command that needs its components, 20 times
     * over: a command is either refused (no socket yet: 3, still starting: 5) or runs with
     * everything there, never against a half-started appliance; {@code --wait-ready} always gets
     * the command through. A SIGTERM then stops it with status 0.
     */
    @Test
    public void startThenCommandSucceedsTwentyTimesOutOfTwenty() throws Exception {
        Path copy = Appliances.copy("launch-ready");
        int refusedAsStarting = 0;
        for (int attempt = 1; attempt <= 20; attempt++) {
            try (Running app = new Running(copy)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Result early;
                do {
                    early = app.ctl("lb");
                } while (early.status() == 3 && app.process.isAlive() && System.nanoTime() < deadline);
                String where = "attempt " + attempt + ": ";
                if (early.status() == 5) {
                    refusedAsStarting++;
                    assertTrue(where + early.err(), early.err().contains("still starting"));
                    assertEquals(where + "nothing ran", "", early.out());
                } else {
                    assertEquals(where + early.err() + app.output(), 0, early.status());
                    assertFalse(where + "no bundle listed before it is active:\n" + early.out(),
                            early.out().lines().anyMatch(l -> l.matches("\\s*\\d+\\|(Installed|Resolved|Starting).*")));
                }
                Result transports = app.ctl("--wait-ready", "60", "vpn:transports");
                assertEquals(where + transports.err() + app.output(), 0, transports.status());
                assertTrue(where + transports.out(), transports.out().lines().anyMatch(l -> l.startsWith("dtls")));
                assertEquals(where + "SIGTERM stops it cleanly\n" + app.output(), 0, app.stop());
            }
        }
        System.out.println("start-then-command: 20 of 20, " + refusedAsStarting + " first commands refused as starting");
    }

    /**
     * vpn:serve survives a restart of the appliance (autostart and the port it was given, written
     * back into configs/org.minivpn.relay.server.cfg) until vpn:stop. Without root: an in-memory
     * TUN device and no routing configurator.
     */
    @Test
    public void aServerThatWasServingServesAgainAfterARestartUntilVpnStop() throws Exception {
        Path copy = Appliances.copy("launch-autostart");
        Path serverCfg = copy.resolve("configs/org.minivpn.relay.server.cfg");
        Files.writeString(copy.resolve("configs/org.minivpn.tun.memory-mvsrv.cfg"), "name = mvsrv\n");
        Files.writeString(serverCfg, Files.readString(serverCfg)
                + "tun.target = (tun.name=mvsrv)\nrouting.target = (route.type=none)\nlisten = 127.0.0.1\n");
        int port;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            port = probe.getLocalPort();
        }
        try (Running app = new Running(copy).awaitReady()) {
            ok(app.ctl("vpn:pki", "init"));
            ok(app.ctl("vpn:pki", "server", "server", "--san", "127.0.0.1"));
            Result serve = awaitOk(app, "vpn:serve", String.valueOf(port)); // DTLS re-reads its files in a moment
            assertTrue(serve.out(), serve.out().contains("serving on 127.0.0.1:" + port));
            awaitFile(serverCfg, "autostart = true", "port = " + port);
            assertTrue("the file keeps its comments", Files.readString(serverCfg).contains("# autostart: serve as soon"));
            assertEquals(0, app.stop());
        }
        try (Running app = new Running(copy)) {
            Result status = app.ctl("--wait-ready", "60", "vpn:status");
            assertEquals(status.err() + app.output(), 0, status.status());
            assertTrue("serving again after the restart, without vpn:serve:\n" + status.out() + app.output(),
                    status.out().lines().anyMatch(l -> l.startsWith("serving") && l.contains("127.0.0.1:" + port)));
            assertTrue(ok(app.ctl("vpn:stop")).out().contains("the server stopped"));
            awaitFile(serverCfg, "autostart = false", "port = " + port);
            assertEquals(0, app.stop());
        }
        try (Running app = new Running(copy)) {
            Result status = app.ctl("--wait-ready", "60", "vpn:status");
            assertEquals(status.err(), 0, status.status());
            assertFalse("vpn:stop is kept too:\n" + status.out(), status.out().contains("serving"));
            try (DatagramSocket free = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                assertTrue(free.isBound());
            }
            assertEquals(0, app.stop());
        }
    }

    /**
     * A first vpn:connect on an appliance never set up (no CA, no server configured) answers with
     * what is missing and the steps that set it up, not an exception's class name. Without root:
     * an in-memory TUN device and no routing configurator; with no CA nothing is sent.
     */
    @Test
    public void aFirstConnectWithoutACaOrAServerSaysTheStepsToGetGoing() throws Exception {
        Path copy = Appliances.copy("launch-first-run");
        Path clientCfg = copy.resolve("configs/org.minivpn.relay.client.cfg");
        Files.writeString(copy.resolve("configs/org.minivpn.tun.memory-mvcli.cfg"), "name = mvcli\n");
        Files.writeString(clientCfg, Files.readString(clientCfg)
                + "tun.target = (tun.name=mvcli)\nrouting.target = (route.type=none)\n");
        try (Running app = new Running(copy).awaitReady()) {
            for (String[] command : new String[][] {{"vpn:connect", "127.0.0.1"}, {"vpn:connect"}}) {
                Result r = app.ctl(command);
                String what = String.join(" ", command) + ":\n" + r.err();
                assertEquals(what, 1, r.status());
                assertTrue(what, r.err().contains("this appliance is not set up as a VPN client yet: "));
                assertTrue(what, r.err().contains("vpn:pki init") && r.err().contains("vpn:import NAME.minivpn"));
                assertFalse(what, r.err().contains("Exception"));
            }
            assertTrue(app.ctl("vpn:status").out().contains("DISCONNECTED"));
            assertEquals(0, app.stop());
        }
    }

    /**
     * Starts and stops leave nothing in the JVM's temporary folder (here a fresh one instead of
     * /tmp, so that what other programs put in /tmp meanwhile does not count), also when the
     * appliance is killed and no shutdown hook runs: FileInstall keeps its scratch folders in run/
     * rather than in /tmp/fileinstall-*, which it only asks the JVM to delete on a clean exit. A
     * clean stop also removes the JVM's /tmp/hsperfdata_USER/PID.
     */
    @Test
    public void startsAndStopsLeaveNothingInTheTemporaryFolder() throws Exception {
        Path copy = Appliances.copy("launch-tmp");
        Path tmp = Files.createDirectories(copy.resolve("java-tmp"));
        Map<String, String> env = Map.of("MINIVPN_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        long pid;
        try (Running app = new Running(copy, env).awaitReady()) {
            pid = app.process.pid(); // bin/minivpn execs the JVM
            assertTrue("FileInstall's scratch folder is in run/", Files.isDirectory(copy.resolve("run/fileinstall")));
            assertEquals(0, app.stop());
        }
        assertEquals("left in the temporary folder by a clean stop", List.of(), list(tmp));
        Path perfData = Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), String.valueOf(pid));
        assertFalse(perfData + " is removed on a clean stop", Files.exists(perfData));

        try (Running app = new Running(copy, env).awaitReady()) {
            assertTrue(app.process.destroyForcibly().waitFor(20, TimeUnit.SECONDS)); // SIGKILL: no shutdown hooks
        }
        assertEquals("left in the temporary folder by a killed appliance", List.of(), list(tmp));
    }

    private static List<Path> list(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** The systemd unit ships in etc/systemd and names this distribution's scripts. */
    @Test
    public void theSystemdUnitStartsHeadlessWaitsForReadinessAndRestartsOnFailure() throws Exception {
        String text = Files.readString(home.resolve("etc/systemd/minivpn.service"));
        for (String line : new String[] {"ExecStart=/opt/minivpn/bin/minivpn --headless",
                "ExecStartPost=/opt/minivpn/bin/minivpn-ctl --wait-ready 90", "Restart=on-failure", "KillMode=mixed"}) {
            assertTrue(line + " in\n" + text, text.lines().anyMatch(line::equals));
        }
    }

    /** The systemd unit, pointed at this copy, passes systemd's own check. */
    @Test
    public void theSystemdUnitPassesSystemdAnalyzeVerify() throws Exception {
        String why = Needs.unmet(false, "systemd-analyze");
        assumeTrue(why, why == null);
        String text = Files.readString(home.resolve("etc/systemd/minivpn.service"));
        Path here = Files.createDirectories(home.resolve("unit-check")).resolve("minivpn.service");
        Files.writeString(here, text.replace("/opt/minivpn", home.toString()));
        Process p = new ProcessBuilder("systemd-analyze", "verify", here.toString()).redirectErrorStream(true).start();
        assertTrue("systemd-analyze finishes", p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("systemd-analyze verify:\n" + out, 0, p.exitValue());
        assertFalse(out, out.contains(home.toString()));
    }

    private static Result ok(Result r) {
        assertEquals(r.err(), 0, r.status());
        return r;
    }

    private static Result awaitOk(Running app, String... command) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Result r;
        do {
            r = app.ctl(command);
        } while (r.status() != 0 && System.nanoTime() < deadline && sleep(300));
        return ok(r);
    }

    private static void awaitFile(Path file, String... lines) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String text;
        do {
            text = Files.readString(file);
            String t = text;
            if (java.util.Arrays.stream(lines).allMatch(l -> t.lines().anyMatch(l::equals))) {
                return;
            }
        } while (System.nanoTime() < deadline && sleep(200));
        throw new AssertionError(file + " does not have " + String.join(", ", lines) + ":\n" + text);
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    @Test
    public void startupCommandsRunAndAFailingOneStopsTheAppliance() throws Exception {
        Path copy = Appliances.copy("launch-commands");
        Result ok = Appliances.exec(copy, "bin/minivpn", "--headless", "-c", "vpn:status", "-c", "stop 0");
        assertEquals(ok.err(), 0, ok.status());
        assertTrue(ok.out(), ok.out().contains("DISCONNECTED"));

        Result bad = Appliances.exec(copy, "bin/minivpn", "--headless", "-c", "vpn:nosuchcommand");
        assertEquals(1, bad.status());
        assertTrue(bad.err(), bad.err().contains("startup command 'vpn:nosuchcommand' failed"));

        Result usage = Appliances.exec(copy, "bin/minivpn", "--bogus");
        assertEquals(2, usage.status());
        assertTrue(usage.err(), usage.err().contains("unknown argument '--bogus'"));
    }

    @Test
    public void aRunFolderOpenToOthersIsTightenedAndItsClassDataArchivesAreNotMapped() throws Exception {
        Path copy = Appliances.copy("launch-private-run");
        Path run = Files.createDirectories(copy.resolve("run"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxr-x")); // made under umask 002
        Path planted = Files.writeString(run.resolve("cds-1.jsa"), "not a class data archive");
        Result r = Appliances.exec(copy, "bin/minivpn", "--headless", "-c", "stop 0");
        assertEquals(r.err(), 0, r.status());
        assertTrue(r.err(), r.err().contains("was mode 775, open to other users; made it 0700"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
        assertFalse("an archive another user could have written is deleted", Files.exists(planted));
    }

    @Test
    public void twoCopiesRunSideBySideAndABundleDroppedIntoDeployStarts() throws Exception {
        Path a = Appliances.copy("side-a");
        Path b = Appliances.copy("side-b");
        try (Running first = new Running(a); Running second = new Running(b)) {
            first.awaitReady();
            second.awaitReady();
            writeBundle(b.resolve("deploy/org.minivpn.test.dropin.jar"), "org.minivpn.test.dropin");
            long deadline = System.currentTimeMillis() + 15_000;
            String listing = "";
            while (System.currentTimeMillis() < deadline) {
                listing = second.ctl("lb").out();
                if (listing.lines().anyMatch(l -> l.contains("Active") && l.contains("org.minivpn.test.dropin"))) {
                    break;
                }
                Thread.sleep(200);
            }
            assertTrue("the dropped bundle is active in the second copy:\n" + listing,
                    listing.lines().anyMatch(l -> l.contains("Active") && l.contains("org.minivpn.test.dropin")));
            assertFalse("and only there", first.ctl("lb").out().contains("org.minivpn.test.dropin"));
            assertNotEquals(first.ctl("lb").out(), listing);
        }
    }

    @Test
    public void aBundleThatCannotResolveIsReportedWithoutAStackTrace() throws Exception {
        Path copy = Appliances.copy("launch-broken");
        writeBundle(copy.resolve("bundle/broken.jar"), "org.minivpn.test.broken", "does.not.exist");
        Result r = Appliances.exec(copy, "bin/minivpn", "--headless", "-c", "stop 0");
        assertEquals(r.err(), 1, r.status());
        assertTrue(r.err(), r.err().contains("the appliance could not start"));
        assertTrue(r.err(), r.err().contains("org.minivpn.test.broken: Unable to resolve"));
        assertFalse("no stack trace:\n" + r.err() + r.out(), (r.err() + r.out()).contains("\tat "));
    }

    private static void writeBundle(Path jar, String symbolicName, String... imports) throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        m.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        m.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        if (imports.length > 0) {
            m.getMainAttributes().putValue("Import-Package", String.join(",", imports));
        }
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), m)) {
            out.flush();
        }
        Files.move(tmp, jar); // FileInstall sees the whole jar at once
    }
}

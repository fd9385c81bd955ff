package org.minivpn.route.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ClientRoutes;

/**
 * Pushed resolvers written into a resolv.conf (a temporary file here, never the machine's) and the
 * original put back byte for byte: on close, when a later change fails, after a crash by the
 * journal's replay, and after a reboot. No root needed: the file steps run in this JVM.
 */
class DnsRestoreTest {

    /** Bytes a text editor would not write: no newline at the end, a Latin-1 byte, a tab, CRLF. */
    private static final byte[] ORIGINAL = "# the admin's own\r\nnameserver 192.0.2.53\nsearch home.example\toffice\noptions edns0\n\u00e9"
            .getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path dir;

    private Path resolvConf;
    private Path journalFile;
    private DnsPlan.Settings settings;
    private Commands commands;
    private final Object lock = new Object();

    @BeforeEach
    void files() throws IOException {
        Files.createDirectories(dir.resolve("etc"));
        resolvConf = dir.resolve("etc/resolv.conf");
        Files.write(resolvConf, ORIGINAL);
        Files.setPosixFilePermissions(resolvConf, PosixFilePermissions.fromString("rw-r--r--"));
        journalFile = dir.resolve("run/routes.journal");
        settings = DnsPlan.Settings.of("file", resolvConf.toString(), journalFile);
        commands = new Commands("", Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        commands.close();
    }

    private static ClientRoutes routes(String... dns) {
        return new ClientRoutes("mvtun0", IpPrefix.parseAddress("198.18.21.1"), 23232, true, List.of(), false, false,
                List.of(dns).stream().map(IpPrefix::parseAddress).toList(), List.of("corp.example.com"));
    }

    private JournaledRoutes apply(RouteJournal journal, List<Change> changes) throws IOException {
        JournaledRoutes set = new JournaledRoutes(lock, 1, journal, commands, r -> { });
        set.applyAll(changes);
        return set;
    }

    @Test
    void whileConnectedThePushedResolversAreInTheFileAndOnCloseTheOriginalIsBackByteForByte() throws Exception {
        RouteJournal journal = new RouteJournal(journalFile);
        JournaledRoutes set = apply(journal, DnsPlan.of(routes("10.7.0.1", "2001:db8::53"), settings, commands));

        String now = Files.readString(resolvConf);
        assertTrue(now.contains("\nnameserver 10.7.0.1\nnameserver 2001:db8::53\nsearch corp.example.com\n"), now);
        assertFalse(now.contains("192.0.2.53"), now);
        assertEquals("rw-r--r--", mode(resolvConf), "written in place: the file keeps its mode");
        Path copy = DnsPlan.Settings.copyOf(journalFile);
        assertArrayEquals(ORIGINAL, Files.readAllBytes(copy));
        assertEquals("rw-------", mode(copy));
        assertTrue(set.changes().get(1).contains("nameserver 10.7.0.1 2001:db8::53"), set.changes().toString());

        set.close();
        assertArrayEquals(ORIGINAL, Files.readAllBytes(resolvConf));
        assertFalse(Files.exists(copy), "the copy goes with the change");
        assertFalse(Files.exists(journalFile), "nothing outstanding: no journal");
        journal.close();
    }

    @Test
    void afterACrashTheNextStartPutsTheOriginalBackBeforeAnythingElse() throws Exception {
        RouteJournal journal = new RouteJournal(journalFile);
        apply(journal, DnsPlan.of(routes("10.7.0.1"), settings, commands));
        // The process dies here: no close, no deactivate. What it leaves: the file, its copy, the journal.
        assertFalse(java.util.Arrays.equals(ORIGINAL, Files.readAllBytes(resolvConf)));
        assertTrue(Files.exists(journalFile));

        new LinuxRouteConfigurator(journalFile, "", Duration.ofSeconds(10), PolicyRouting.DEFAULT, "file",
                resolvConf.toString()).deactivate();
        assertArrayEquals(ORIGINAL, Files.readAllBytes(resolvConf));
        assertFalse(Files.exists(DnsPlan.Settings.copyOf(journalFile)));
        assertFalse(Files.exists(journalFile));
    }

    @Test
    void aJournalFromAnEarlierBootStillPutsTheFileBackButRunsNoRoutingCommand() throws Exception {
        RouteJournal journal = new RouteJournal(journalFile);
        apply(journal, DnsPlan.of(routes("10.7.0.1"), settings, commands));
        Path marker = dir.resolve("run/must-not-appear");
        List<String> lines = new ArrayList<>(Files.readAllLines(journalFile));
        lines.set(0, "boot 00000000-0000-0000-0000-000000000000");
        // A routing undo of the earlier boot: were it run, sysctl would fail loudly; a file step would make the marker.
        lines.add("do 9.1 ip route del 10.99.0.0/16 dev mvtun0 proto 77");
        lines.add("do 9.2 %40save " + resolvConf + " " + marker);
        Files.write(journalFile, lines);

        RouteJournal.replay(journalFile, commands);
        assertArrayEquals(ORIGINAL, Files.readAllBytes(resolvConf), "a reboot does not undo a file");
        assertFalse(Files.exists(marker), "a file step other than putting resolv.conf back is not run");
        assertFalse(Files.exists(journalFile));
    }

    @Test
    void whenALaterChangeFailsTheOriginalIsBackAtOnce() throws Exception {
        List<Change> changes = new ArrayList<>(DnsPlan.of(routes("10.7.0.1"), settings, commands));
        changes.add(new Change("a step that fails", List.of(FileSteps.WRITE, dir.resolve("no/such/file").toString()),
                "x", List.of(FileSteps.DELETE, dir.resolve("x.resolv.conf").toString()), Change.Skip.NEVER));
        RouteJournal journal = new RouteJournal(journalFile);
        IOException e = assertThrows(IOException.class, () -> apply(journal, changes));
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
        assertArrayEquals(ORIGINAL, Files.readAllBytes(resolvConf));
        assertFalse(Files.exists(journalFile));
    }

    @Test
    void aSymbolicLinkStaysALinkAndItsTargetGetsItsBytesBack() throws Exception {
        Path target = dir.resolve("run-resolvconf/resolv.conf");
        Files.createDirectories(target.getParent());
        Files.move(resolvConf, target);
        Files.createSymbolicLink(resolvConf, target);
        RouteJournal journal = new RouteJournal(journalFile);
        JournaledRoutes set = apply(journal, DnsPlan.of(routes("10.7.0.1"), settings, commands));
        assertTrue(Files.isSymbolicLink(resolvConf));
        assertTrue(Files.readString(target).contains("nameserver 10.7.0.1"));
        set.close();
        assertTrue(Files.isSymbolicLink(resolvConf));
        assertArrayEquals(ORIGINAL, Files.readAllBytes(target));
        journal.close();
    }

    @Test
    void withoutResolversNothingChangesAndAMissingFileIsRefusedSayingWhatToDo() throws Exception {
        assertEquals(List.of(), DnsPlan.of(new ClientRoutes("mvtun0", IpPrefix.parseAddress("198.18.21.1"), 1, true,
                List.of(), false, true), settings, commands));
        Files.delete(resolvConf);
        IOException e = assertThrows(IOException.class, () -> DnsPlan.of(routes("10.7.0.1"), settings, commands));
        assertTrue(e.getMessage().contains("set dns = off"), e.getMessage());
    }

    @Test
    void aConfiguratorForAnotherNamespaceTouchesOnlyThatNamespacesFile() throws Exception {
        String ns = "mvp-" + ProcessHandle.current().pid() + "-none";
        assertFalse(Files.exists(Path.of("/etc/netns", ns)));
        try (Commands elsewhere = new Commands(ns, Duration.ofSeconds(10))) {
            assertEquals(List.of(), DnsPlan.of(routes("10.7.0.1"), settings, elsewhere),
                    "without /etc/netns/NAME/resolv.conf the namespace uses the host's, which is left alone");
        }
    }

    @Test
    void resolvConfHoldsThreeResolversAndTheSearchDomains() {
        String text = DnsPlan.text(routes("10.7.0.1", "10.7.0.2", "10.7.0.3", "10.7.0.4"), "mvtun0");
        assertEquals(3, text.lines().filter(l -> l.startsWith("nameserver ")).count(), text);
        assertTrue(text.contains("# 1 more pushed resolver(s) left out"), text);
        assertTrue(text.endsWith("search corp.example.com\n"), text);
    }

    @Test
    void aJournalMayOnlyPutAResolvConfBackOrDeleteItsCopy() {
        assertTrue(RouteJournal.allowed(List.of("@restore", "/x/run/routes.journal.resolv.conf", "/etc/resolv.conf")));
        assertTrue(RouteJournal.allowed(List.of("@delete", "/x/run/routes.journal.resolv.conf")));
        assertTrue(RouteJournal.allowed(List.of("resolvectl", "revert", "tun0")));
        assertFalse(RouteJournal.allowed(List.of("resolvectl", "dns", "eth0", "192.0.2.66")));
        assertFalse(RouteJournal.allowed(List.of("@restore", "/tmp/evil", "/etc/passwd")));
        assertFalse(RouteJournal.allowed(List.of("@restore", "/x/y.resolv.conf", "/etc/shadow")));
        assertFalse(RouteJournal.allowed(List.of("@delete", "/etc/passwd")));
        assertFalse(RouteJournal.allowed(List.of("@write", "/etc/resolv.conf")));
        assertFalse(RouteJournal.allowed(List.of("@save", "/etc/shadow", "/tmp/x.resolv.conf")));
    }

    @Test
    void theMethodIsCheckedAndAutoNeverUsesResolvectlForAnotherNamespace() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DnsPlan.Settings.of("dnsmasq", "", journalFile));
        assertTrue(e.getMessage().contains("none of auto, resolvectl, file"), e.getMessage());
        try (Commands elsewhere = new Commands("mvp-" + ProcessHandle.current().pid() + "-x", Duration.ofSeconds(5))) {
            assertEquals(DnsPlan.Method.FILE, DnsPlan.detect(DnsPlan.Settings.of("auto", "", journalFile), elsewhere));
        }
        Files.writeString(resolvConf, "nameserver 192.0.2.1\n");
        assertEquals(DnsPlan.Method.FILE, DnsPlan.detect(settings, commands), "a resolv.conf that is not resolved's stub");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}

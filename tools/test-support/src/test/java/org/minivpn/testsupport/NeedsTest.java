package org.minivpn.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** The skip line names what is missing and its package, and lands once in the ledger the build summarises. */
class NeedsTest {

    @TempDir
    Path dir;

    private String saved;
    private Path ledger;

    @BeforeEach
    void ownLedger() {
        saved = System.getProperty(Needs.LEDGER);
        ledger = dir.resolve("some.module/target/test-skips.txt");
        System.setProperty(Needs.LEDGER, ledger.toString());
    }

    @AfterEach
    void restoreLedger() {
        if (saved == null) {
            System.clearProperty(Needs.LEDGER);
        } else {
            System.setProperty(Needs.LEDGER, saved);
        }
    }

    @Test
    void theLineNamesRootTheProgramsAndTheirPackages() {
        assertEquals("needs root, nft, iperf3 (Debian packages nftables iperf3)",
                Needs.describe(List.of("root", "nft", "iperf3"), new LinkedHashSet<>(List.of("nftables", "iperf3"))));
        assertEquals("needs tcpdump (Debian package tcpdump)",
                Needs.describe(List.of("tcpdump"), new LinkedHashSet<>(List.of("tcpdump"))));
        assertEquals("needs root", Needs.describe(List.of("root"), new LinkedHashSet<>()));
    }

    @Test
    void aProgramIsLookedUpOnPathAndAFileByItsPath() throws Exception {
        assertTrue(Needs.present("/proc/self/status"));
        assertFalse(Needs.present("/proc/self/no-such-file"));
        assertFalse(Needs.present("no-such-program-" + ProcessHandle.current().pid()));
        // The JVM running this test is a file, but PATH lookups take programs by name only.
        assertFalse(Needs.present("bin/java"));
    }

    @Test
    void aMissingFileIsSkippedNamingItsPackageAndRecordedOnce() throws Exception {
        String header = "/usr/include/openssl/ssl.h";
        String line = Needs.unmet(false, header);
        if (Files.exists(Path.of(header))) {
            assertNull(line, "nothing is missing");
            assertFalse(Files.exists(ledger), "nothing recorded");
            return;
        }
        assertEquals("needs " + header + " (Debian package libssl-dev)", line);
        Needs.unmet(false, header);
        assertEquals(List.of("some.module NeedsTest: " + line), Files.readAllLines(ledger), "one line per test class and reason");
    }

    @Test
    void whatNoPackageBringsIsNamedAlone() {
        String line = Needs.unmet(false, "/dev/net/tun");
        assertTrue(line == null || line.equals("needs /dev/net/tun"), line);
    }

    @Test
    void programsAbortsTheTestWithTheLine() throws Exception {
        String header = "/usr/include/openssl/ssl.h";
        if (Files.exists(Path.of(header))) {
            Needs.programs(header);
            return;
        }
        TestAbortedException e = assertThrows(TestAbortedException.class, () -> Needs.programs(header));
        assertEquals("needs " + header + " (Debian package libssl-dev)", e.getMessage());
    }

    @Test
    void aProgramTheListDoesNotNameIsAMistakeInTheTest() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Needs.programs("frobnicate"));
        assertTrue(e.getMessage().contains("scripts/lib/test-deps"), e.getMessage());
    }

    @Test
    void everyEntryOfTheListHasAPackage() throws Exception {
        // The list is read from the jar's copy of scripts/lib/test-deps: each name resolves, none throws.
        for (String program : List.of("ip", "nft", "iperf3", "tcpdump", "openssl", "ping", "gcc", "python3", "curl")) {
            Needs.describe(List.of(program), new LinkedHashSet<>());
            String line = Needs.unmet(false, program);
            assertTrue(line == null || line.startsWith("needs " + program + " (Debian package "), line);
        }
    }
}

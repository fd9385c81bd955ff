package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.AssumptionViolatedException;
import org.minivpn.testsupport.Needs;

/**
 * A script that lacks a program stops at its scripts/lib/needs.sh check with one line naming the
 * program and its Debian package, and the test that runs it is skipped with that line rather than
 * failed; a program the list does not name is a mistake in the script and fails. The scripts run
 * here are written by this test and find only what it gives them on PATH.
 */
public class ScriptSkipIT {

    private Path dir;
    private Path bin;
    private String ledger;

    @Before
    public void smallPath() throws Exception {
        ledger = System.getProperty(Needs.LEDGER);
        System.clearProperty(Needs.LEDGER); // these skips are the test's own, not the machine's
        dir = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve("script-skip");
        ApplianceOptions.deleteTree(dir);
        bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("grep", "basename", "dirname", "id")) { // what needs.sh itself runs
            Files.createSymbolicLink(bin.resolve(tool), onPath(tool));
        }
    }

    @After
    public void restoreLedger() {
        if (ledger != null) {
            System.setProperty(Needs.LEDGER, ledger);
        }
    }

    @Test
    public void aScriptWithoutAProgramIsSkippedWithTheLineNamingItsPackage() throws Exception {
        Path script = script("lacking", "needs nft tcpdump");
        AssumptionViolatedException skipped = assertThrows(AssumptionViolatedException.class,
                () -> Scripts.run(script, List.of(), 30, dir.resolve("lacking.log")));
        assertTrue(skipped.getMessage(), skipped.getMessage().contains("needs nft, tcpdump (Debian packages nftables tcpdump)"));
        assertTrue(Files.readString(dir.resolve("lacking.log")).contains("lacking: skipped: needs nft, tcpdump"));
    }

    @Test
    public void aScriptWithEverythingRuns() throws Exception {
        Files.createSymbolicLink(bin.resolve("nft"), onPath("true"));
        Path script = script("having", "needs nft");
        Scripts.run(script, List.of(), 30, dir.resolve("having.log"));
        assertEquals("ran\n", Files.readString(dir.resolve("having.log")));
    }

    @Test
    public void aProgramTheListDoesNotNameFailsTheScript() throws Exception {
        Path script = script("unlisted", "needs frobnicate");
        AssertionError failed = assertThrows(AssertionError.class,
                () -> Scripts.run(script, List.of(), 30, dir.resolve("unlisted.log")));
        assertTrue(failed.getMessage(), failed.getMessage().contains("'frobnicate' is not in scripts/lib/test-deps"));
    }

    /** A bash script named {@code name} that checks with needs.sh, on a PATH of {@link #bin} only, then says "ran". */
    private Path script(String name, String check) throws Exception {
        Path repo = ApplianceOptions.dist().getParent().getParent().getParent();
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/bash\nPATH=" + bin + "\n. " + repo.resolve("scripts/lib/needs.sh") + "\n"
                + check + "\necho ran\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    private static Path onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new AssertionError(tool + " is not on PATH");
    }
}

package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.minivpn.testsupport.Needs;

/**
 * Runs a script of scripts/ as a test: its output goes to a log (and to the test's output), a
 * non-zero exit fails the test, and exit status 77, with which scripts/lib/needs.sh stops a script
 * that lacks root or a program, skips it with the script's own line naming what is missing.
 */
final class Scripts {

    /** The exit status of a skipped script (automake's SKIP), from scripts/lib/needs.sh. */
    static final int SKIPPED = 77;

    private Scripts() {
    }

    /** Runs {@code script} with {@code args} for at most {@code seconds}; its output goes to {@code log}. */
    static void run(Path script, List<String> args, int seconds, Path log) throws Exception {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        System.out.println(out);
        String name = script.getFileName().toString();
        assertEquals(name + " finished within " + seconds + " s:\n" + out, true, done);
        if (p.exitValue() == SKIPPED) {
            String prefix = name + ": skipped: ";
            String line = out.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                    .reduce((first, last) -> last)
                    .orElseThrow(() -> new AssertionError(name + " exited " + SKIPPED + " without a '" + prefix
                            + "...' line:\n" + out));
            assumeTrue(Needs.recorded(line), false);
        }
        assertEquals(name + ":\n" + out, 0, p.exitValue());
    }
}

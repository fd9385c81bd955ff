package org.minivpn.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.opentest4j.TestAbortedException;

/**
 * What a test needs from the machine it runs on, and the one line it is skipped with when the
 * machine lacks it, e.g. {@code needs root, nft (Debian package nftables)}. A program is looked up
 * on PATH, as ProcessBuilder and {@code ip netns exec} find it; a name that starts with "/" is a
 * file that must exist (the header of a -dev package, or {@code /dev/net/tun}, which no package
 * brings). Each one's package comes from
 * scripts/lib/test-deps, the list scripts/install-test-deps installs; a name missing from that list
 * is a mistake in the test, and fails it.
 *
 * <p>Every skip is also appended, once per test class and line, to the file the system property
 * {@value #LEDGER} names (the parent POM points surefire and failsafe at each module's
 * {@code target/test-skips.txt}); the distribution's build prints them all at the end of the run
 * with the one command that installs everything. Without the property nothing is written.
 *
 * <p>JUnit 5 tests call {@link #root} or {@link #programs}, which abort the test
 * (it is reported as skipped); JUnit 4 tests take the line from {@link #unmet} and hand it to
 * {@code Assume}.
 */
public final class Needs {

    /** System property: the file each skip is appended to. */
    public static final String LEDGER = "minivpn.test.skips";

    /** The package of what no package brings, such as /dev/net/tun (a kernel module's device). */
    private static final String NO_PACKAGE = "-";

    private static final Map<String, String> PACKAGES = packages();
    private static final Set<String> RECORDED = new HashSet<>(); // guarded by RECORDED

    private Needs() {
    }

    /** Skips the calling JUnit 5 test unless it runs as root and every program is there. */
    public static void root(String... programs) {
        abortIf(unmet(true, programs));
    }

    /** Skips the calling JUnit 5 test unless every program is there. */
    public static void programs(String... programs) {
        abortIf(unmet(false, programs));
    }

    /**
     * The line to skip with, recorded in the ledger, or null when this process has all of it:
     * root when {@code root} is true, and every program (or file) named.
     *
     * @throws IllegalArgumentException for a name that scripts/lib/test-deps does not list
     */
    public static String unmet(boolean root, String... programs) {
        List<String> missing = new ArrayList<>();
        if (root && !isRoot()) {
            missing.add("root");
        }
        Set<String> packages = new LinkedHashSet<>();
        for (String program : programs) {
            String pkg = PACKAGES.get(program);
            if (pkg == null) {
                throw new IllegalArgumentException("'" + program + "' is not in scripts/lib/test-deps: add it there with"
                        + " its Debian package, so that scripts/install-test-deps installs it");
            }
            if (!present(program)) {
                missing.add(program);
                if (!pkg.equals(NO_PACKAGE)) {
                    packages.add(pkg);
                }
            }
        }
        return missing.isEmpty() ? null : recorded(describe(missing, packages));
    }

    /** "needs root, nft, iperf3 (Debian packages nftables iperf3)". */
    static String describe(List<String> missing, Set<String> packages) {
        String line = "needs " + String.join(", ", missing);
        if (!packages.isEmpty()) {
            line += " (Debian package" + (packages.size() > 1 ? "s " : " ") + String.join(" ", packages) + ")";
        }
        return line;
    }

    /** Records a skip decided elsewhere (a script's own check) in the ledger; returns the line. */
    public static String recorded(String line) {
        String ledger = System.getProperty(LEDGER);
        String entry = caller() + ": " + line;
        synchronized (RECORDED) {
            if (!RECORDED.add(entry)) {
                return line;
            }
            System.out.println("skipped " + entry);
            if (ledger != null && !ledger.isBlank()) {
                Path file = Path.of(ledger);
                Path module = file.toAbsolutePath().getParent().getParent();
                try {
                    Files.createDirectories(file.getParent());
                    Files.writeString(file, module.getFileName() + " " + entry + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot record a skipped test in " + file, e);
                }
            }
        }
        return line;
    }

    /** True when this process's effective user is root. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // real, effective, saved, filesystem
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** True when {@code program} is an executable file in a folder of PATH, or, starting with "/", exists. */
    static boolean present(String program) {
        if (program.startsWith("/")) {
            return Files.exists(Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return true;
            }
        }
        return false;
    }

    private static void abortIf(String line) {
        if (line != null) {
            throw new TestAbortedException(line);
        }
    }

    /** The test class that asked: the nearest caller named *Test or *IT, else the nearest caller. */
    private static String caller() {
        List<String> callers = StackWalker.getInstance().walk(frames -> frames
                .map(StackWalker.StackFrame::getClassName)
                .filter(name -> !name.equals(Needs.class.getName()) && !name.startsWith(Needs.class.getName() + "$"))
                .map(name -> name.substring(name.lastIndexOf('.') + 1).split("\\$")[0])
                .toList());
        return callers.stream().filter(n -> n.endsWith("Test") || n.endsWith("IT")).findFirst()
                .orElse(callers.isEmpty() ? "?" : callers.get(0));
    }

    /** scripts/lib/test-deps: "PROGRAM PACKAGE" a line, # comments. */
    private static Map<String, String> packages() {
        Map<String, String> map = new LinkedHashMap<>();
        try (InputStream in = Needs.class.getResourceAsStream("test-deps")) {
            if (in == null) {
                throw new IllegalStateException("test-deps is missing from the test-support jar: rebuild tools/test-support");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null;) {
                String[] f = line.strip().split("\\s+");
                if (f.length >= 2 && !f[0].startsWith("#")) {
                    map.put(f[0], f[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(map);
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code ip}, {@code nft}, {@code sysctl}, {@code ss} and {@code resolvectl}, each within a
 * timeout, optionally inside a named network namespace (through {@code ip netns exec}), and the
 * file steps of {@link FileSteps} ({@code @save}, {@code @write}, ...) in this JVM. Thread-safe.
 */
final class Commands implements AutoCloseable {

    /** The only programs this bundle runs, also the only ones a journal may name (besides {@link FileSteps}). */
    static final Set<String> PROGRAMS = Set.of("ip", "nft", "sysctl", "ss", "resolvectl");

    private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private final String netns;
    private final Duration timeout;
    private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "route-command-output");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param netns the network namespace to act in (a name under /run/netns), or empty for the
     *     namespace this JVM runs in
     * @param timeout how long one command may take before it is killed
     */
    Commands(String netns, Duration timeout) {
        this.netns = netns == null ? "" : netns.strip();
        this.timeout = timeout;
        if (!this.netns.isEmpty() && !this.netns.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("network namespace name '" + netns
                    + "' is not valid: use letters, digits, '_', '-' and '.'");
        }
    }

    /** The namespace commands act in, or empty for the JVM's own. */
    String netns() {
        return netns;
    }

    /** The command line for {@code words}, run inside the configured namespace if there is one. */
    List<String> argv(String... words) {
        List<String> argv = new ArrayList<>(words.length + 4);
        if (!netns.isEmpty()) {
            argv.addAll(List.of("ip", "netns", "exec", netns));
        }
        argv.addAll(List.of(words));
        return List.copyOf(argv);
    }

    /**
     * Runs a command line as it is (already prefixed by {@link #argv}), feeding {@code stdin} (or
     * nothing) to it. A non-zero exit is returned, not thrown.
     *
     * @throws IOException when the program cannot be started or does not finish within the timeout
     */
    Result run(List<String> argv, String stdin) throws IOException {
        if (FileSteps.handles(argv)) {
            return FileSteps.run(argv, stdin);
        }
        List<String> resolved = new ArrayList<>(argv);
        resolved.set(0, locate(argv.get(0)));
        Process process;
        try {
            process = new ProcessBuilder(resolved).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run `" + String.join(" ", argv) + "`: " + e.getMessage()
                    + hint(argv.get(0)), e);
        }
        Future<byte[]> output = readers.submit(() -> process.getInputStream().readAllBytes());
        try {
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The program exited without reading its input; its exit status and output tell why.
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
                throw new IOException("`" + String.join(" ", argv) + "` did not finish within "
                        + timeout.toSeconds() + " s and was killed; check that the system is not overloaded,"
                        + " or raise commandTimeoutSeconds in " + LinuxRouteConfigurator.PID);
            }
            String text = new String(output.get(2, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
            return new Result(argv, process.exitValue(), text);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running `" + String.join(" ", argv) + "`");
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IOException("cannot read the output of `" + String.join(" ", argv) + "`: " + e, e);
        }
    }

    /** Runs a command line and returns its output, or throws naming it and its reason. */
    String check(List<String> argv, String stdin) throws IOException {
        Result r = run(argv, stdin);
        if (!r.ok()) {
            throw r.failure();
        }
        return r.output();
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }

    /** Looks the program up in PATH and then in the usual system folders (sbin is not always in PATH). */
    private static String locate(String program) {
        if (program.indexOf('/') >= 0) {
            return program;
        }
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SYSTEM_DIRS);
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program).toString();
            }
        }
        return program;
    }

    private static String hint(String program) {
        return switch (program) {
            case "ip", "ss" -> " (install the iproute2 package)";
            case "nft" -> " (install the nftables package)";
            case "sysctl" -> " (install the procps package)";
            case "resolvectl" -> " (install the systemd-resolved package, or set dns.method = file in "
                    + LinuxRouteConfigurator.PID + ")";
            default -> "";
        };
    }

    /**
     * What a command did.
     *
     * @param argv the command line
     * @param exit its exit status
     * @param output what it wrote to stdout and stderr, stripped
     */
    record Result(List<String> argv, int exit, String output) {

        boolean ok() {
            return exit == 0;
        }

        /** The kernel's (or the program's) reason, on one line. */
        String reason() {
            StringBuilder r = new StringBuilder();
            for (String line : output.split("\n")) {
                if (!line.isBlank() && !line.strip().matches("[\\^~ ]+")) {
                    r.append(r.length() == 0 ? "" : " ").append(line.strip());
                }
            }
            return r.length() == 0 ? "exit status " + exit : r.toString();
        }

        /** True when the failure says that what the command adds is already there. */
        boolean alreadyExists() {
            return !ok() && output.contains("File exists");
        }

        /**
         * True when the failure says that IPv6 is off: disabled on the device or everywhere
         * ({@code disable_ipv6}), or not in the kernel at all ({@code ipv6.disable=1}).
         */
        boolean ipv6Disabled() {
            return !ok() && (output.contains("IPv6 is disabled") || output.contains("Address family not supported"));
        }

        /**
         * True when the failure says that what the command removes is gone already: the route,
         * device, table or namespace no longer exists.
         */
        boolean alreadyGone() {
            return !ok() && (output.contains("No such process") || output.contains("Cannot find device")
                    || output.contains("No such file or directory") || output.contains("No such device"));
        }

        IOException failure() {
            return new IOException("`" + String.join(" ", argv) + "` failed: " + reason());
        }
    }
}

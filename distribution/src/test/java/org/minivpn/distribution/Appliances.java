package org.minivpn.distribution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs copies of the assembled distribution as separate processes, through bin/minivpn and
 * bin/minivpn-ctl only, as a person would.
 */
final class Appliances {

    private Appliances() {
    }

    /** A fresh copy of the distribution at target/it/{name}. */
    static Path copy(String name) throws IOException {
        Path target = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve(name);
        ApplianceOptions.deleteTree(target);
        Path source = ApplianceOptions.dist();
        try (Stream<Path> s = Files.walk(source)) {
            for (Path p : s.toList()) {
                Path rel = source.relativize(p);
                if (rel.startsWith("run")) {
                    continue;
                }
                Path to = target.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        // These copies run in the root network namespace: no kernel TUN device may be made there.
        try (Stream<Path> s = Files.list(target.resolve("configs"))) {
            for (Path cfg : s.filter(p -> p.getFileName().toString().startsWith("org.minivpn.tun.linux")).toList()) {
                Files.delete(cfg);
            }
        }
        // Copies may run side by side: each status page takes a free port instead of 8023.
        ApplianceOptions.webOnAnyPort(target.resolve("configs"));
        if (!Files.getPosixFilePermissions(target.resolve("bin/minivpn")).contains(PosixFilePermission.OWNER_EXECUTE)) {
            throw new IOException("bin/minivpn is not executable in " + target);
        }
        return target;
    }

    /** A running appliance started headless with bin/minivpn; its output goes to run.log. */
    static final class Running implements AutoCloseable {
        final Path home;
        final Process process;
        final Path log;

        Running(Path home, String... args) throws IOException {
            this(List.of(), home, Map.of(), args);
        }

        /** As {@link #Running(Path, String...)}, with {@code env} added to bin/minivpn's environment. */
        Running(Path home, Map<String, String> env, String... args) throws IOException {
            this(List.of(), home, env, args);
        }

        /** Started inside the network namespace {@code netns} (ip netns exec), which must exist. */
        static Running inNamespace(String netns, Path home, String... args) throws IOException {
            return new Running(List.of("ip", "netns", "exec", netns), home, Map.of(), args);
        }

        private Running(List<String> prefix, Path home, Map<String, String> env, String... args) throws IOException {
            this.home = home;
            this.log = home.resolve("run.log");
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of(home.resolve("bin/minivpn").toString(), "--headless"));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            this.process = pb.start();
        }

        /** Waits until the log says the appliance is ready, or fails after 30 s. */
        Running awaitReady() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                String out = output();
                if (out.contains("MiniVPN ready in") && Files.exists(home.resolve("run/minivpn.sock"))) {
                    return this;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("the appliance exited with " + process.exitValue() + ":\n" + out);
                }
                Thread.sleep(50);
            }
            throw new AssertionError("the appliance was not ready within 30 s:\n" + output());
        }

        String output() throws IOException {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        }

        /** Runs bin/minivpn-ctl with these arguments. */
        Result ctl(String... args) throws Exception {
            return Appliances.ctl(home, args);
        }

        /** Sends SIGTERM and waits up to 20 s for the process to end. */
        int stop() throws Exception {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the appliance did not stop within 20 s of SIGTERM:\n" + output());
            }
            return process.exitValue();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** What a command printed, and its exit status. */
    record Result(int status, String out, String err) {
    }

    static Result ctl(Path home, String... args) throws Exception {
        return exec(home, "bin/minivpn-ctl", args);
    }

    static Result exec(Path home, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve(script).toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("minivpn-out", ".txt");
        Path err = Files.createTempFile("minivpn-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish within 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}

package org.minivpn.testsupport;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace a test creates and deletes ({@code <prefix>-<tag>-<pid>-<n>}, the prefix
 * naming the module), so tests never meet anyone else's. Setup runs with {@code ip -n} / {@code ip netns exec}; sockets are opened by
 * {@link #call} on a fresh thread that joined the namespace (setns) and checked it is not the root one.
 */
public final class TestNetns implements AutoCloseable {

    private static final AtomicInteger SEQ = new AtomicInteger();

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int open(String path, int flags) throws LastErrorException;

        int setns(int fd, int nstype) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    public final String name;

    private TestNetns(String name) {
        this.name = name;
    }


    /** A namespace named {@code <prefix>-<tag>-<pid>-<n>}. */
    public static TestNetns create(String prefix, String tag) throws IOException {
        TestNetns ns = new TestNetns(prefix + "-" + tag + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        run("ip", "netns", "add", ns.name);
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public static boolean root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    public String ip(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** Runs {@code work} on a fresh thread inside this namespace; its sockets stay here. */
    public <T> T call(Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            enter();
            return work.call();
        });
        Thread t = new Thread(task, "netns-" + name);
        t.setDaemon(true);
        t.start();
        try {
            return task.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private void enter() throws Exception {
        Path file = Path.of("/var/run/netns", name);
        Path root = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
        int fd = LibC.INSTANCE.open(file.toString(), 0x80000); // O_RDONLY | O_CLOEXEC
        try {
            LibC.INSTANCE.setns(fd, 0x40000000); // CLONE_NEWNET
        } finally {
            LibC.INSTANCE.close(fd);
        }
        Path mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
        if (mine.equals(root) || !mine.toString().equals("net:[" + Files.getAttribute(file, "unix:ino") + "]")) {
            throw new IllegalStateException("thread is in " + mine + ", not in " + name + ": refusing to run here");
        }
    }

    @Override
    public void close() {
        try {
            run("ip", "netns", "del", name);
        } catch (IOException e) {
            System.err.println("could not delete network namespace " + name + ": " + e.getMessage());
        }
    }

    /** Runs a command with a 10 s timeout; returns its output (stdout and stderr) or throws with it. */
    public static String run(String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", argv));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed (" + p.exitValue() + "): " + out.strip());
        }
        return out;
    }
}

package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace of this test run ({@code mvtun-<pid>-<n>}), deleted by {@link #close()}.
 * {@link #inside} runs code on a fresh thread that joined it with setns(2) and proved it did, so
 * TUN devices and sockets made there never touch the root namespace. {@link #run} runs a command
 * in it through {@code ip netns exec}. Nothing here changes the root namespace.
 */
final class NetNamespace implements AutoCloseable {

    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int CAP_NET_ADMIN = 12;

    static {
        Native.register(NetNamespace.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private static native int setns(int fd, int nstype);

    private static native int capget(Pointer header, Pointer data);

    private static native int capset(Pointer header, Pointer data);

    final String name;

    private NetNamespace(String name) {
        this.name = name;
    }

    static NetNamespace create() throws IOException {
        String name = "mvtun-" + ProcessHandle.current().pid() + "-" + COUNT.incrementAndGet();
        command(List.of("ip", "netns", "add", name), true);
        return new NetNamespace(name);
    }

    /** Runs {@code task} on a new thread inside this namespace; waits at most 60 s. */
    <T> T inside(Callable<T> task) throws Exception {
        return inside(task, false);
    }

    /** As {@link #inside(Callable)}, on a thread without CAP_NET_ADMIN in its effective set. */
    <T> T insideWithoutNetAdmin(Callable<T> task) throws Exception {
        return inside(task, true);
    }

    private <T> T inside(Callable<T> task, boolean dropNetAdmin) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                enter();
                if (dropNetAdmin) {
                    dropNetAdmin();
                }
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-in-" + name);
        t.setDaemon(true);
        t.start();
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private void enter() throws IOException {
        Path file = Path.of("/run/netns", name);
        int fd = LibC.open(file.toString(), LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open " + file + ": " + LibC.describe(Native.getLastError()));
        }
        try {
            if (setns(fd, CLONE_NEWNET) != 0) {
                throw new IOException("setns into " + name + " failed: " + LibC.describe(Native.getLastError()));
            }
        } finally {
            LibC.close(fd);
        }
        String mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        String root = rootNamespace();
        String wanted = "net:[" + Files.getAttribute(file, "unix:ino") + "]";
        if (mine.equals(root) || !mine.equals(wanted)) {
            throw new IllegalStateException("this thread is in " + mine + ", not in " + name + " " + wanted
                    + " (the root namespace is " + root + "): refusing to go on");
        }
    }

    /** PID 1's network namespace; where that is hidden from us, our main thread's (never moved). */
    private static String rootNamespace() throws IOException {
        try {
            return Files.readSymbolicLink(Path.of("/proc/1/ns/net")).toString();
        } catch (java.nio.file.AccessDeniedException e) {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        }
    }

    private static void dropNetAdmin() throws IOException {
        Memory header = new Memory(8);
        header.setInt(0, 0x20080522); // _LINUX_CAPABILITY_VERSION_3
        header.setInt(4, 0); // this thread
        Memory data = new Memory(24); // two {effective, permitted, inheritable}
        if (capget(header, data) != 0) {
            throw new IOException("capget failed: " + LibC.describe(Native.getLastError()));
        }
        data.setInt(0, data.getInt(0) & ~(1 << CAP_NET_ADMIN));
        if (capset(header, data) != 0) {
            throw new IOException("capset failed: " + LibC.describe(Native.getLastError()));
        }
    }

    /** Runs a command inside this namespace (ip netns exec); returns its output, fails on a non-zero exit. */
    String run(String... command) throws IOException {
        return run(true, command);
    }

    /** As {@link #run(String...)}; with {@code check} false, returns "exit N: output" on failure. */
    String run(boolean check, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(command));
        return command(full, check);
    }

    /** True while an interface of that name exists in this namespace. */
    boolean hasLink(String link) throws IOException {
        return !run(false, "ip", "link", "show", "dev", link).startsWith("exit ");
    }

    @Override
    public void close() throws IOException {
        command(List.of("ip", "netns", "del", name), true);
    }

    private static String command(List<String> command, boolean check) throws IOException {
        Path out = Files.createTempFile("mvtun-cmd", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command + " did not finish within 10 s");
            }
            String text = Files.readString(out);
            if (p.exitValue() != 0) {
                if (check) {
                    throw new IOException(command + " failed with exit " + p.exitValue() + ": " + text);
                }
                return "exit " + p.exitValue() + ": " + text;
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command, e);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}

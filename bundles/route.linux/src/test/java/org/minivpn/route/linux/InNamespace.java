package org.minivpn.route.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Runs test code on a fresh thread that has joined a network namespace with setns(2), so that the
 * sockets it opens live there (a socket stays in the namespace it was created in, whichever thread
 * uses it later). The thread checks that its namespace is not the root one before it runs
 * anything, and ends with the work: it is never reused. It only opens sockets; commands that
 * change networking run through {@code ip -n}/{@code ip netns exec}, never from such a thread.
 */
final class InNamespace {

    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int open(String path, int flags) throws LastErrorException;

        int setns(int fd, int nstype) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int socket(int domain, int type, int protocol) throws LastErrorException;

        int setsockopt(int fd, int level, int name, int[] value, int length) throws LastErrorException;

        int connect(int fd, byte[] address, int length) throws LastErrorException;

        long send(int fd, byte[] buf, long length, int flags) throws LastErrorException;

        long recv(int fd, byte[] buf, long length, int flags) throws LastErrorException;
    }

    private InNamespace() {
    }

    /** Runs {@code work} inside {@code ns} and returns its result, or throws what it threw. */
    static <T> T call(Netns ns, Duration timeout, Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            enter(ns.name);
            return work.call();
        });
        Thread t = new Thread(task, "netns-" + ns.name);
        t.setDaemon(true);
        t.start();
        try {
            return task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } finally {
            t.interrupt();
        }
    }

    /** Starts {@code work} on its own thread inside {@code ns}; the thread ends with the work. */
    static Thread start(Netns ns, Runnable work) {
        Thread t = new Thread(() -> {
            try {
                enter(ns.name);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            work.run();
        }, "netns-" + ns.name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void enter(String name) throws Exception {
        Path file = Path.of("/var/run/netns", name);
        Path root = rootNamespace();
        int fd = LibC.INSTANCE.open(file.toString(), O_RDONLY | O_CLOEXEC);
        try {
            LibC.INSTANCE.setns(fd, CLONE_NEWNET);
        } finally {
            LibC.INSTANCE.close(fd);
        }
        Path mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
        String wanted = "net:[" + Files.getAttribute(file, "unix:ino") + "]";
        if (mine.equals(root) || !mine.toString().equals(wanted)) {
            throw new IllegalStateException("thread " + Thread.currentThread().getName() + " is in " + mine
                    + " after setns, not in " + name + " (" + wanted + "); the root namespace is " + root
                    + ": refusing to run test code here");
        }
    }

    /**
     * The root network namespace: pid 1's, or where pid 1 may not be inspected (a sandbox), this
     * JVM's main thread's, which never joins another one.
     */
    private static Path rootNamespace() throws Exception {
        try {
            return Files.readSymbolicLink(Path.of("/proc/1/ns/net"));
        } catch (java.nio.file.AccessDeniedException e) {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
        }
    }
}

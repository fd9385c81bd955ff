package org.minivpn.transport.dtls;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.nio.channels.DatagramChannel;

/**
 * UDP generic segmentation offload ({@code UDP_SEGMENT}, Linux 4.18 and later): a datagram socket
 * whose segment size is set sends a buffer of equal-sized records (the last may be shorter) as that
 * many datagrams, in one system call and one trip through the kernel's IP stack.
 *
 * <p>Reaching the socket of a {@link DatagramChannel} needs its descriptor number, which the JDK
 * keeps in {@code sun.nio.ch}: the launcher opens it with
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}, and JNA sets the option. Without either (or
 * off Linux, or on a kernel without it) {@link #of} gives null and every record goes out as its own
 * datagram. One instance per socket; its calls are serialised by the socket's sender.
 */
final class Gso {

    /** At most this many datagrams per send (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int MAX_SEGMENTS = 64;
    /** At most this many bytes per send: the UDP length field's limit, less the headers. */
    static final int MAX_BYTES = 65000;

    private static final Logger LOG = DtlsTransport.LOG;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    private static final Method FD_VAL = lookup();

    private final int fd;
    private final Memory scratch = new Memory(4);
    private int current; // the socket's segment size now; 0: none

    private Gso(int fd) {
        this.fd = fd;
    }

    /** Offload for the socket of {@code channel}, or null when this JVM or kernel cannot have it. */
    static Gso of(DatagramChannel channel) {
        if (FD_VAL == null) {
            return null;
        }
        try {
            return new Gso((Integer) FD_VAL.invoke(channel));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Sets the socket up for a send of {@code total} bytes that the kernel must cut into datagrams
     * of {@code segment} bytes (the last may be shorter); {@code segment == total} for a single
     * datagram, which must not be cut. Changes the socket only when its current size does not suit.
     * Returns false when the kernel refused. The caller serialises sends on the socket.
     */
    boolean prepare(int segment, int total) {
        boolean many = total > segment;
        if (many ? current == segment : current == 0 || current >= total) {
            return true;
        }
        int size = many ? segment : 0;
        if (!segmentSize(fd, size, scratch)) {
            return false;
        }
        current = size;
        return true;
    }

    /**
     * Lets the kernel hand over runs of datagrams from one sender as one (UDP generic receive
     * offload): the receiver then finds several records in what it reads. Returns false when this
     * JVM or kernel cannot.
     */
    static boolean mergeReceived(DatagramChannel channel) {
        if (FD_VAL == null) {
            return false;
        }
        try {
            Memory one = new Memory(4);
            one.setInt(0, 1);
            return LibC.setsockopt((Integer) FD_VAL.invoke(channel), SOL_UDP, UDP_GRO, one, 4) == 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Leaves the socket without a segment size, as it was before; false when the kernel refused. */
    boolean disable() {
        if (current == 0) {
            return true;
        }
        current = 0;
        return segmentSize(fd, 0, scratch);
    }

    /** Sets the segment size of the socket {@code fd} (0: none); false when the kernel refused. */
    private static boolean segmentSize(int fd, int size, Memory scratch) {
        scratch.setInt(0, size);
        return LibC.setsockopt(fd, SOL_UDP, UDP_SEGMENT, scratch, 4) == 0;
    }

    private static Method lookup() {
        try {
            if (!Platform.isLinux()) {
                return null;
            }
            Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl", false, ClassLoader.getPlatformClassLoader());
            Method fdVal = selectable.getMethod("getFDVal");
            try (DatagramChannel probe = DatagramChannel.open()) {
                int fd = (Integer) fdVal.invoke(probe);
                Memory scratch = new Memory(4);
                if (!segmentSize(fd, 1200, scratch)) {
                    LOG.log(Level.INFO, "the kernel has no UDP segmentation offload (" + Native.getLastError()
                            + "): one datagram per record");
                    return null;
                }
            }
            return fdVal;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError | java.io.IOException e) {
            LOG.log(Level.DEBUG, "UDP segmentation offload unavailable: " + e
                    + " (bin/minivpn passes --add-exports java.base/sun.nio.ch=ALL-UNNAMED)");
            return null;
        }
    }

    /** The one C call, bound with JNA direct mapping. */
    private static final class LibC {
        static {
            Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int setsockopt(int fd, int level, int name, Pointer value, int length);
    }
}

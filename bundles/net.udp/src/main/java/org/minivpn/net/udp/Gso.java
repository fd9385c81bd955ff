package org.minivpn.net.udp;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;

/**
 * UDP segmentation offload ({@code UDP_SEGMENT}, Linux 4.18 and later): one {@code sendmsg(2)} whose
 * control message gives a segment size sends a buffer of equal-sized records (the last may be
 * shorter) as that many datagrams, in one trip through the kernel's IP stack. And the receiving
 * half ({@code UDP_GRO}): the kernel may hand over such a run as one read.
 *
 * <p>Reaching the socket of a {@link DatagramChannel} needs its descriptor number, which the JDK
 * keeps in {@code sun.nio.ch}: the launcher opens it with
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}, and JNA sets the option. Without either (or
 * off Linux, or on a kernel without it) {@link Sender#of} gives null and every record goes out as its
 * own datagram.
 */
final class Gso {

    /** At most this many datagrams per send (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int MAX_SEGMENTS = 64;
    /** At most this many bytes per send: the UDP length field's limit, less the headers. */
    static final int MAX_BYTES = 65000;

    private static final Logger LOG = System.getLogger("org.minivpn.net.udp");
    private static final int SOL_SOCKET = 1;
    private static final int SO_MARK = 36;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    private static final Method FD_VAL = lookup();

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
            return option((Integer) FD_VAL.invoke(channel), UDP_GRO, 1, new Memory(4));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Sets the firewall mark of {@code channel}'s socket, UDP or TCP ({@code SO_MARK}, socket(7);
     * see {@link SocketMark}). Here because this class owns the native access to a channel's socket:
     * every channel the JDK opens implements {@code sun.nio.ch.SelChImpl}. Returns 0, or the errno
     * (EPERM without CAP_NET_ADMIN), or -1 when this JVM cannot reach the socket (no
     * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}, not Linux, not the JDK's channel).
     */
    static int mark(NetworkChannel channel, int mark) {
        Method fdVal = FD_VAL != null ? FD_VAL : descriptorAccess();
        if (fdVal == null) {
            return -1;
        }
        try {
            Memory value = new Memory(4);
            value.setInt(0, mark);
            return LibC.setsockopt((Integer) fdVal.invoke(channel), SOL_SOCKET, SO_MARK, value, 4) == 0 ? 0
                    : Native.getLastError();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1; // IllegalArgumentException: a channel of another implementation
        }
    }

    /** The JDK's descriptor accessor, also where the kernel has no segmentation offload; null when not reachable. */
    private static Method descriptorAccess() {
        try {
            if (!Platform.isLinux()) {
                return null;
            }
            Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl", false, ClassLoader.getPlatformClassLoader());
            return selectable.getMethod("getFDVal");
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Sets a UDP option of the socket {@code fd}; false when the kernel refused. */
    private static boolean option(int fd, int name, int value, Memory scratch) {
        scratch.setInt(0, value);
        return LibC.setsockopt(fd, SOL_UDP, name, scratch, 4) == 0;
    }

    private static Method lookup() {
        try {
            Method fdVal = descriptorAccess();
            if (fdVal == null) {
                return null;
            }
            try (DatagramChannel probe = DatagramChannel.open()) {
                int fd = (Integer) fdVal.invoke(probe);
                if (!option(fd, UDP_SEGMENT, 1200, new Memory(4))) {
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

    /**
     * Sends runs of datagrams on a socket that several threads share, with the segment size in a
     * control message of each {@code sendmsg(2)} rather than on the socket. Native memory is
     * allocated once; calls are serialised by the caller. 64-bit Linux layouts.
     */
    static final class Sender {

        static final int ECONNREFUSED = 111;
        private static final int EAGAIN = 11;
        private static final int EINTR = 4;
        private static final short AF_INET = 2;
        private static final short AF_INET6 = 10;

        private final int fd;
        private final boolean ipv6Socket;
        private final Memory data = new Memory(MAX_BYTES);
        private final Memory name = new Memory(28);
        private final Memory iov = new Memory(16);
        private final Memory control = new Memory(24);
        private final Memory msg = new Memory(56);
        private InetSocketAddress named; // the address in name

        private Sender(int fd, boolean ipv6Socket) {
            this.fd = fd;
            this.ipv6Socket = ipv6Socket;
            iov.setPointer(0, data);
            control.clear();
            control.setLong(0, 18); // CMSG_LEN(sizeof(uint16_t))
            control.setInt(8, SOL_UDP);
            control.setInt(12, UDP_SEGMENT);
            msg.clear();
            msg.setPointer(0, name);
            msg.setPointer(16, iov);
            msg.setLong(24, 1);
            msg.setPointer(32, control);
        }

        /** A sender for the socket of {@code channel}, or null when this JVM or kernel cannot have it. */
        static Sender of(DatagramChannel channel, boolean ipv6Socket) {
            if (FD_VAL == null) {
                return null;
            }
            try {
                return new Sender((Integer) FD_VAL.invoke(channel), ipv6Socket);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        /**
         * Sends {@code b[off, off+len)} to {@code to} (null on a connected socket) as datagrams of
         * {@code segment} bytes (the last may be shorter). Returns 1 when sent, 0 when the socket
         * buffer is full (nothing was sent), or -errno when the kernel refused.
         */
        int send(byte[] b, int off, int len, int segment, InetSocketAddress to) {
            data.write(0, b, off, len);
            iov.setLong(8, len);
            if (to == null) {
                msg.setPointer(0, null);
                msg.setInt(8, 0);
                named = null;
            } else if (to != named) {
                msg.setPointer(0, name);
                msg.setInt(8, address(to));
                named = to;
            }
            msg.setLong(40, len > segment ? 24 : 0); // CMSG_SPACE(sizeof(uint16_t)), or no control message
            control.setShort(16, (short) segment);
            long n = LibC.sendmsg(fd, msg, 0);
            if (n >= 0) {
                return 1;
            }
            int errno = Native.getLastError();
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        }

        /** Writes {@code to} as a sockaddr into {@code name}; returns its length. */
        private int address(InetSocketAddress to) {
            byte[] a = to.getAddress().getAddress();
            int port = to.getPort();
            name.clear();
            if (a.length == 4 && !ipv6Socket) {
                name.setShort(0, AF_INET);
                name.setByte(2, (byte) (port >>> 8));
                name.setByte(3, (byte) port);
                name.write(4, a, 0, 4);
                return 16;
            }
            name.setShort(0, AF_INET6);
            name.setByte(2, (byte) (port >>> 8));
            name.setByte(3, (byte) port);
            if (a.length == 4) { // IPv4-mapped, for a dual-stack socket
                name.setByte(18, (byte) 0xFF);
                name.setByte(19, (byte) 0xFF);
                name.write(20, a, 0, 4);
            } else {
                name.write(8, a, 0, 16);
                if (to.getAddress() instanceof Inet6Address v6) {
                    name.setInt(24, v6.getScopeId());
                }
            }
            return 28;
        }
    }

    /** The C calls, bound with JNA direct mapping. */
    private static final class LibC {
        static {
            Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int setsockopt(int fd, int level, int name, Pointer value, int length);

        static native long sendmsg(int fd, Pointer msg, int flags);
    }
}

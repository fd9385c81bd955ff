package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * What the kernel receives from a TUN device, as tcpdump sees it: an {@code AF_PACKET} socket bound
 * to the interface, which gets each packet a write handed to the kernel once, before the IP stack
 * (a merged TCP packet whole, before any segmentation). Packets the kernel sends out of the
 * interface are skipped. Make it inside the device's namespace ({@link NetNamespace#inside}).
 */
final class PacketTap implements AutoCloseable {

    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final short ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL)
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVTIMEO = 20;
    private static final int PACKET_OUTGOING = 4;
    private static final int SOCKADDR_LL = 20;

    static {
        Native.register(PacketTap.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private static native int bind(int fd, Pointer address, int length);

    private static native long recvfrom(int fd, Pointer buf, long len, int flags, Pointer address, Pointer length);

    private final int fd;
    private final Memory buf = new Memory(70_000);
    private final Memory from = new Memory(SOCKADDR_LL);
    private final Memory fromLength = new Memory(4);

    private PacketTap(int fd) {
        this.fd = fd;
    }

    /** Opens a tap on the interface {@code index} of the calling thread's namespace. */
    static PacketTap open(int index) throws IOException {
        int fd = LibC.socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, ETH_P_ALL_BE);
        if (fd < 0) {
            throw new IOException("cannot open a packet socket: " + LibC.describe(LibC.errno()));
        }
        PacketTap tap = new PacketTap(fd);
        try {
            Memory size = new Memory(4);
            size.setInt(0, 4 << 20);
            LibC.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
            Memory timeout = new Memory(16); // struct timeval: 200 ms
            timeout.setLong(0, 0);
            timeout.setLong(8, 200_000);
            if (LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16) < 0) {
                throw new IOException("SO_RCVTIMEO: " + LibC.describe(LibC.errno()));
            }
            Memory address = new Memory(SOCKADDR_LL);
            address.clear();
            address.setShort(0, (short) AF_PACKET);
            address.setShort(2, ETH_P_ALL_BE);
            address.setInt(4, index);
            if (bind(fd, address, SOCKADDR_LL) < 0) {
                throw new IOException("cannot bind a packet socket to interface " + index + ": "
                        + LibC.describe(LibC.errno()));
            }
            while (tap.next(0) != null) {
                // what came in before the bind, from any interface
            }
            return tap;
        } catch (IOException | RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    /**
     * The next packet the kernel received, or null if none came within {@code timeoutMillis}
     * (checked every 200 ms).
     */
    byte[] next(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        do {
            fromLength.setInt(0, SOCKADDR_LL);
            long n = recvfrom(fd, buf, buf.size(), 0, from, fromLength);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno != LibC.EAGAIN && errno != LibC.EINTR) {
                    throw new IOException("recvfrom on a packet socket: " + LibC.describe(errno));
                }
            } else if ((from.getByte(10) & 0xFF) != PACKET_OUTGOING) {
                return buf.getByteArray(0, (int) n);
            }
        } while (System.nanoTime() - deadline < 0);
        return null;
    }

    @Override
    public void close() {
        LibC.close(fd);
    }
}

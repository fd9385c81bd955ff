package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The read side of a {@link LinuxTunDevice}: reads what the kernel hands over into its native
 * buffer and copies it out; with offloads, takes the virtio header off, completes a checksum the
 * kernel left to the device, and cuts a TCP segment into MTU-sized packets, one per call
 * ({@link Segmenter}).
 *
 * <p>Threads: one reader at a time in {@link #read}. It waits in {@code poll(2)} on the TUN
 * descriptor and on the device's wake eventfd, so a close wakes it at once. The device makes sure the
 * descriptors are open while a call runs here. Allocates nothing after construction.
 */
final class TunReader {

    private final String name;
    private final int fd;
    private final boolean offload;
    private final int header; // bytes before each packet: the virtio header with offload, else 0
    private final BooleanSupplier closed; // whether the device is closed or lost
    private final Supplier<ClosedChannelException> lost; // marks the device lost, once

    private final Memory rx = new Memory(Offload.HEADER + Coalescer.MAX_PACKET); // the reader's
    private final byte[] segment; // the reader's, with offload: a segment being cut
    private final Segmenter segmenter = new Segmenter(); // the reader's
    private final Memory pollFds = new Memory(16); // the reader's: pollfd[2] = {tun, wake}
    private volatile long dropped; // written by the reader thread only

    /**
     * @param fd the TUN descriptor, non-blocking, opened with {@code IFF_VNET_HDR} if {@code offload}
     * @param wakeFd the eventfd the device signals when it closes
     * @param closed whether the device counts as closed (closed or lost)
     * @param lost called when the kernel says the interface is gone: marks the device lost and
     *     returns the exception to throw
     */
    TunReader(String name, int fd, int wakeFd, boolean offload, BooleanSupplier closed,
            Supplier<ClosedChannelException> lost) {
        this.name = name;
        this.fd = fd;
        this.offload = offload;
        this.header = offload ? Offload.HEADER : 0;
        this.closed = closed;
        this.lost = lost;
        this.segment = offload ? new byte[Coalescer.MAX_PACKET] : null;
        pollFds.setInt(0, fd);
        pollFds.setShort(4, LibC.POLLIN);
        pollFds.setInt(8, wakeFd);
        pollFds.setShort(12, LibC.POLLIN);
    }

    /**
     * Reads one packet into {@code buf[off, off+len)}: its length, or -1 when none came within
     * {@code timeoutMillis} (0: do not wait), the calling thread is interrupted, or the read was
     * dropped ({@link #dropped()}). One reader thread at a time.
     *
     * @throws ClosedChannelException once the device is closed or lost
     */
    int read(byte[] buf, int off, int len, int timeoutMillis) throws IOException {
        if (segmenter.hasNext()) {
            return segmenter.next(buf, off, len);
        }
        if (Thread.currentThread().isInterrupted()) {
            return -1;
        }
        long n = readNow();
        if (n < 0 && timeoutMillis == 0) {
            return -1;
        }
        if (n < 0) {
            // Nothing waiting: sleep in poll, on the device and on the close signal.
            int ready = LibC.poll(pollFds, 2, timeoutMillis);
            if (ready <= 0) {
                if (ready < 0 && LibC.errno() != LibC.EINTR) {
                    throw new IOException("poll on " + name + " failed: " + LibC.describe(LibC.errno()));
                }
                return -1;
            }
            if (closed.getAsBoolean() || pollFds.getShort(14) != 0) {
                throw new ClosedChannelException();
            }
            short events = pollFds.getShort(6);
            if ((events & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0) {
                throw lost.get();
            }
            n = readNow();
            if (n < 0) {
                return -1;
            }
        }
        return offload ? unpack((int) n, buf, off, len) : copyOut(0, (int) n, buf, off, len);
    }

    /** Reads dropped so far (empty, or a segmentation offload that was not asked for); any thread. */
    long dropped() {
        return dropped;
    }

    /** One non-blocking read into {@code rx}: its length, or -1 when nothing is waiting. */
    private long readNow() throws IOException {
        long n = LibC.read(fd, rx, header + Coalescer.MAX_PACKET);
        if (n < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
                return -1;
            }
            if (errno == LibC.EBADFD) {
                throw lost.get();
            }
            throw new IOException("read from " + name + " failed: " + LibC.describe(errno));
        }
        return n;
    }

    private int copyOut(int at, int n, byte[] buf, int off, int len) {
        int copy = Math.min(n, len);
        rx.read(at, buf, off, copy);
        return copy;
    }

    /** Takes what a read with the virtio header brought: a plain packet, or the first of a segment's. */
    private int unpack(int n, byte[] buf, int off, int len) {
        int length = n - Offload.HEADER;
        if (length <= 0) {
            dropped++;
            return -1;
        }
        int flags = rx.getByte(0);
        int gso = rx.getByte(1) & ~Offload.GSO_ECN;
        int gsoSize = rx.getShort(4) & 0xFFFF;
        int csumStart = rx.getShort(6) & 0xFFFF;
        if (gso == Offload.GSO_NONE) {
            int copy = copyOut(Offload.HEADER, length, buf, off, len);
            if ((flags & Offload.F_NEEDS_CSUM) != 0 && copy == length) {
                Offload.completeChecksum(buf, off, length, csumStart, rx.getShort(8) & 0xFFFF);
            }
            return copy;
        }
        if (gso == Offload.GSO_TCPV4 || gso == Offload.GSO_TCPV6) {
            rx.read(Offload.HEADER, segment, 0, length);
            if (segmenter.start(segment, length, gsoSize, csumStart)) {
                return segmenter.next(buf, off, len);
            }
        }
        dropped++; // a kind of segmentation that was not asked for
        return -1;
    }
}

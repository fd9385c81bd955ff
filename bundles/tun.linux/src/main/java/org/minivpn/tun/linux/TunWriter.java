package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.function.Supplier;

/**
 * The write side of a {@link LinuxTunDevice}: checks each packet, and with offloads passes it
 * through a {@link FlowTable}, which merges TCP segments per flow; then copies what goes out into
 * its native buffer and writes it to the descriptor, a virtio header first with offloads.
 *
 * <p>One writer thread; the device makes sure the descriptor is open while a call runs here.
 * Allocates nothing after construction.
 */
final class TunWriter implements FlowTable.Output {

    private final String name;
    private final int fd;
    private final boolean offload;
    private final Supplier<ClosedChannelException> lost; // marks the device lost, once
    private final Memory tx = new Memory(Offload.HEADER + Coalescer.MAX_PACKET);
    private final FlowTable flows; // with offload only
    private volatile long dropped; // written by the writer thread only

    /**
     * @param fd the TUN descriptor, opened with {@code IFF_VNET_HDR} if {@code offload}
     * @param flows how many flows to hold at once ({@link FlowTable#FLOWS}); unused without offload
     * @param lost called when the kernel says the interface is gone: marks the device lost and
     *     returns the exception to throw
     */
    TunWriter(String name, int fd, boolean offload, int flows, Supplier<ClosedChannelException> lost) {
        this.name = name;
        this.fd = fd;
        this.offload = offload;
        this.lost = lost;
        this.flows = offload ? new FlowTable(flows, this) : null;
    }

    /**
     * Writes, holds or merges the packet {@code buf[off, off+len)}. Dropped and counted: an empty
     * packet, one longer than {@code mtu} or not IPv4/IPv6, and one the kernel refuses (link down, no
     * buffer).
     */
    void write(byte[] buf, int off, int len, int mtu) throws IOException {
        int version = len == 0 ? 0 : (buf[off] & 0xf0) >>> 4;
        if ((version != 4 && version != 6) || len > mtu) {
            dropped++;
            return;
        }
        if (offload) {
            flows.write(buf, off, len);
        } else {
            tx.write(0, buf, off, len);
            writeNow(len);
        }
    }

    /** Writes every packet held back to merge, oldest first. */
    void flush() throws IOException {
        if (offload) {
            flows.flush();
        }
    }

    /** Packets dropped so far; read from any thread. */
    long dropped() {
        return dropped;
    }

    @Override
    public void packet(byte[] b, int off, int len) throws IOException {
        tx.setLong(0, 0); // a virtio header that asks for nothing
        tx.setShort(8, (short) 0);
        tx.write(Offload.HEADER, b, off, len);
        writeNow(Offload.HEADER + len);
    }

    @Override
    public void merged(byte[] frame, int len) throws IOException {
        tx.write(0, frame, 0, len);
        writeNow(len);
    }

    private void writeNow(int n) throws IOException {
        if (LibC.write(fd, tx, n) < 0) {
            int errno = LibC.errno();
            switch (errno) {
                case LibC.EIO, LibC.EINVAL, LibC.EAGAIN, LibC.ENOBUFS, LibC.ENOMEM, LibC.EINTR -> dropped++;
                case LibC.EBADFD -> throw lost.get();
                default -> throw new IOException("write to " + name + " failed: " + LibC.describe(errno));
            }
        }
    }
}

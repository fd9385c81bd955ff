package org.minivpn.net.udp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.util.function.IntConsumer;

/**
 * Datagrams for one peer collected back to back and sent as one run by
 * {@link UdpChannel#sendSegments}: one system call with UDP segmentation offload, one per datagram
 * without, as wireguard-go's {@code bind_std.go} coalesces a batch for one endpoint. A run holds
 * datagrams of one length, the last of which may be shorter; a datagram that cannot join (another
 * peer's, a longer one, one after a shorter one, no room, or {@value #MAX_SEGMENTS} held) first
 * sends what is held, so datagrams leave in the order they were added.
 *
 * <p>The caller writes each datagram straight into {@link #buffer()}: {@link #reserve} says where,
 * {@link #commit} takes it. So a transport seals a record in place, without a copy.
 *
 * <p>Allocates its buffer once and nothing per datagram. Not thread-safe: its owner's lock guards
 * every call, and it is the only caller of {@link UdpChannel#sendSegments} on its socket.
 */
public final class SegmentBatch {

    /** At most this many datagrams per run (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    public static final int MAX_SEGMENTS = Gso.MAX_SEGMENTS;
    /** At most this many bytes per run: the UDP length field's limit, less the headers. */
    public static final int MAX_BYTES = Gso.MAX_BYTES;

    private final UdpChannel udp;
    private final IntConsumer dropped;
    private final byte[] buf = new byte[MAX_BYTES];
    private final ByteBuffer view = ByteBuffer.wrap(buf);
    private Object peer; // whose datagrams are held
    private InetSocketAddress to; // where they go; null on a connected socket
    private int length;
    private int datagrams;
    private int segment; // the length of the first datagram

    /**
     * @param dropped told how many datagrams of a run the socket could not take (its buffer stayed
     *     full, or the peer's port is closed); called on the sending thread, under the owner's lock
     */
    public SegmentBatch(UdpChannel udp, IntConsumer dropped) {
        this.udp = udp;
        this.dropped = dropped;
    }

    /**
     * Makes room for one datagram of at most {@code maxSize} bytes (at most {@value #MAX_BYTES})
     * of {@code peer}, to {@code to} (null on a connected socket), sending what is held first when
     * it cannot join. Returns the offset in {@link #buffer()} at which to write it; then
     * {@link #commit} its actual length. {@code peer} is compared by identity.
     */
    public int reserve(Object peer, InetSocketAddress to, int maxSize) throws IOException {
        if (datagrams > 0 && (peer != this.peer || maxSize > segment || length % segment != 0
                || length + maxSize > buf.length || datagrams == MAX_SEGMENTS)) {
            send();
        }
        if (datagrams == 0) {
            this.peer = peer;
            this.to = to;
        }
        return length;
    }

    /** The batch's buffer, into which the datagram {@link #reserve} made room for is written. */
    public byte[] buffer() {
        return buf;
    }

    /** Takes the {@code n} bytes written at the offset {@link #reserve} returned as one datagram. */
    public void commit(int n) {
        if (datagrams == 0) {
            segment = n;
        }
        length += n;
        datagrams++;
    }

    /** Sends what is held for {@code peer}, if anything. */
    public void send(Object peer) throws IOException {
        if (datagrams > 0 && this.peer == peer) {
            send();
        }
    }

    /** Sends what is held, if anything; datagrams the socket could not take are reported as dropped. */
    public void send() throws IOException {
        if (datagrams == 0) {
            return;
        }
        int count = datagrams;
        InetSocketAddress destination = to;
        view.clear().limit(length);
        length = 0;
        datagrams = 0;
        peer = null;
        to = null;
        try {
            if (udp.sendSegments(view, segment, destination)) {
                return;
            }
        } catch (PortUnreachableException e) {
            // the peer is away; its owner's keepalives will tell
        }
        dropped.accept(count);
    }
}

package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;

/**
 * Application-data records sealed back to back for one peer and sent as one run of datagrams by
 * {@link UdpChannel#sendSegments}: one system call with UDP segmentation offload, one per record
 * without. A run holds records of one length, the last of which may be shorter; a record that
 * cannot join (another peer's, a longer one, one after a shorter one, no room, or
 * {@value Gso#MAX_SEGMENTS} held) first sends what is held, so records leave in the order they
 * were added.
 *
 * <p>Allocates its buffer once. Not thread-safe: its owner's lock guards every call.
 */
final class RecordBatch {

    private final UdpChannel udp;
    private final DropCounters drops;
    private final byte[] buf = new byte[Gso.MAX_BYTES];
    private final ByteBuffer view = ByteBuffer.wrap(buf);
    private Object peer; // whose records are held
    private InetSocketAddress to; // where they go; null on a connected socket
    private int length;
    private int records;
    private int segment; // the length of the first record

    RecordBatch(UdpChannel udp, DropCounters drops) {
        this.udp = udp;
        this.drops = drops;
    }

    /**
     * Seals {@code b[off, off+len)} as one application-data record of {@code peer}, with its record
     * layer, into the batch. The caller also holds what serialises {@code record}'s sealing.
     */
    void add(Object peer, InetSocketAddress to, RecordLayer record, byte[] b, int off, int len) throws IOException {
        int size = len + record.overhead();
        if (records > 0 && (peer != this.peer || size > segment || length % segment != 0
                || length + size > buf.length || records == Gso.MAX_SEGMENTS)) {
            send();
        }
        int n = record.seal(RecordLayer.APPLICATION_DATA, b, off, len, buf, length);
        if (records == 0) {
            this.peer = peer;
            this.to = to;
            segment = n;
        }
        length += n;
        records++;
    }

    /** Sends what is held for {@code peer}, if anything. */
    void send(Object peer) throws IOException {
        if (records > 0 && this.peer == peer) {
            send();
        }
    }

    /** Sends what is held, if anything; records the socket could not take are counted as dropped. */
    void send() throws IOException {
        if (records == 0) {
            return;
        }
        int dropped = records;
        InetSocketAddress destination = to;
        view.clear().limit(length);
        length = 0;
        records = 0;
        peer = null;
        to = null;
        try {
            if (udp.sendSegments(view, segment, destination)) {
                return;
            }
        } catch (PortUnreachableException e) {
            // the peer is away; keepalives will tell
        }
        drops.sendDropped.addAndGet(dropped);
    }
}

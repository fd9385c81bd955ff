package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.minivpn.net.udp.SegmentBatch;
import org.minivpn.net.udp.UdpChannel;

/**
 * Application-data records sealed back to back for one peer, straight into a {@link SegmentBatch},
 * which sends them as one run of datagrams: one system call with UDP segmentation offload, one
 * per record without, records leaving in the order they were added.
 *
 * <p>Allocates its buffer once. Not thread-safe: its owner's lock guards every call.
 */
final class RecordBatch {

    private final SegmentBatch segments;

    RecordBatch(UdpChannel udp, DropCounters drops) {
        this.segments = new SegmentBatch(udp, dropped -> drops.sendDropped.addAndGet(dropped));
    }

    /**
     * Seals {@code b[off, off+len)} as one application-data record of {@code peer}, with its record
     * layer, into the batch. The caller also holds what serialises {@code record}'s sealing.
     */
    void add(Object peer, InetSocketAddress to, RecordLayer record, byte[] b, int off, int len) throws IOException {
        int at = segments.reserve(peer, to, len + record.overhead());
        segments.commit(record.seal(RecordLayer.APPLICATION_DATA, b, off, len, segments.buffer(), at));
    }

    /** Sends what is held for {@code peer}, if anything. */
    void send(Object peer) throws IOException {
        segments.send(peer);
    }

    /** Sends what is held, if anything; records the socket could not take are counted as dropped. */
    void send() throws IOException {
        segments.send();
    }
}

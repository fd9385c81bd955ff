package org.minivpn.transport.dtls;

import java.util.ArrayList;
import java.util.List;

/**
 * Watches the datagrams a handshake sends (Bouncy Castle sends one record per datagram), so that
 * the {@link RecordLayer} taking over afterwards neither reuses a sequence number of epoch 1 (that
 * would reuse an AEAD nonce) nor loses the last flight: a server resends that flight, byte for
 * byte, when a client shows it missed it.
 */
final class SentRecords {

    private long highestEpoch1 = -1; // guarded by this
    private final List<byte[]> lastFlight = new ArrayList<>(); // guarded by this

    synchronized void sent(byte[] buf, int off, int len) {
        if (len < RecordLayer.HEADER) {
            return;
        }
        long seqNum = RecordLayer.getLong(buf, off + 3);
        if ((int) (seqNum >>> 48) == RecordLayer.EPOCH) {
            highestEpoch1 = Math.max(highestEpoch1, seqNum & 0xFFFF_FFFF_FFFFL);
        }
        if ((buf[off] & 0xFF) == RecordLayer.CHANGE_CIPHER_SPEC) {
            lastFlight.clear(); // a flight that switches to epoch 1 begins here
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        lastFlight.add(copy);
        if (lastFlight.size() > 16) {
            lastFlight.remove(0);
        }
    }

    /** The first sequence number of epoch 1 that the handshake left unused. */
    synchronized long nextEpoch1Sequence() {
        return highestEpoch1 + 1;
    }

    /** The datagrams from the last ChangeCipherSpec on: a server's final flight. */
    synchronized List<byte[]> finalFlight() {
        return List.copyOf(lastFlight);
    }
}

package org.minivpn.relay;

import org.minivpn.api.relay.Traffic;

/**
 * Packet counters of one peer or client. The receive side's fields are written only by the
 * transport's receive thread, the send side's only by the relay's TUN thread; {@link #snapshot()}
 * reads them from any thread and may be a packet behind.
 */
final class Counters {

    // written by the receive thread
    long bytesIn;
    long packetsIn;
    long droppedIn;
    long spoofed;

    // written by the TUN thread
    long bytesOut;
    long packetsOut;
    long droppedOut;

    Traffic snapshot() {
        return new Traffic(bytesIn, packetsIn, bytesOut, packetsOut, droppedIn + droppedOut + spoofed);
    }
}

package org.minivpn.api.relay;

/**
 * Counters of one direction pair, as seen from the side that reports them.
 *
 * @param bytesIn payload bytes received from the peer
 * @param packetsIn packets received from the peer
 * @param bytesOut payload bytes sent to the peer
 * @param packetsOut packets sent to the peer
 * @param dropped packets dropped, for any reason
 */
public record Traffic(long bytesIn, long packetsIn, long bytesOut, long packetsOut, long dropped) {

    /** No traffic at all. */
    public static final Traffic NONE = new Traffic(0, 0, 0, 0, 0);
}

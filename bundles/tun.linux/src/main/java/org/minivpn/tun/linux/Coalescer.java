package org.minivpn.tun.linux;

import static org.minivpn.tun.linux.Offload.get16;
import static org.minivpn.tun.linux.Offload.get32;
import static org.minivpn.tun.linux.Offload.put16;

/**
 * Merges consecutive TCP segments of one flow into one packet that the kernel takes with
 * {@code VIRTIO_NET_HDR_GSO_TCPV4/6} and segments again only where it must (a forwarded packet
 * leaves as the original segments; a local socket takes it whole). It holds one packet at a time: a
 * packet that does not continue it is not merged, and the caller writes the held one out first.
 * {@link FlowTable} keeps several, one per flow.
 *
 * <p>Merged are only segments that the kernel's own GRO would merge: same addresses, ports,
 * acknowledgment number, TCP options, TOS/traffic class, TTL/hop limit and DF bit; IPv4 without
 * options or fragments, IPv6 without extension headers; flags ACK, with PSH allowed on the last;
 * in-order sequence numbers; every segment but the last of the same size. Each segment's TCP
 * checksum is verified before it is merged, because the kernel computes the merged packet's checksum
 * afresh and would otherwise hide a corrupted segment.
 *
 * <p>One writer thread. Allocates nothing.
 */
final class Coalescer {

    /** Largest packet it builds: the IP length fields' limit. */
    static final int MAX_PACKET = 65535;

    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    /** The virtio header, then the held packet. */
    private final byte[] held = new byte[Offload.HEADER + MAX_PACKET];
    private int length; // of the held packet; 0 when none
    private int ipLength; // 20: IPv4, 40: IPv6
    private int headers; // IP and TCP
    private int gsoSize; // the first segment's payload
    private int key; // flowKey of the held packet
    private long since; // when the held packet was taken, in the caller's clock

    /** Whether a packet is held. */
    boolean isHolding() {
        return length > 0;
    }

    /**
     * Whether {@code b[off, off+len)} could start a merged packet: a TCP segment that {@link #append}
     * could grow (see the class comment), without PSH, with a valid checksum.
     */
    static boolean mayHold(byte[] b, int off, int len) {
        int ip = candidate(b, off, len);
        return ip >= 0 && (b[off + ip + 13] & PSH) == 0 && Offload.tcpChecksumValid(b, off, len, ip);
    }

    /**
     * Holds a copy of {@code b[off, off+len)}, which {@link #mayHold} accepted, with its
     * {@link #flowKey} and the time {@code since} it was taken. Must not be called while holding.
     */
    void take(byte[] b, int off, int len, int flowKey, long since) {
        int ip = (b[off] & 0xF0) == 0x60 ? 40 : 20;
        System.arraycopy(b, off, held, Offload.HEADER, len);
        length = len;
        ipLength = ip;
        headers = ip + tcpHeaderLength(b, off + ip);
        gsoSize = len - headers;
        key = flowKey;
        this.since = since;
    }

    /** When the held packet was taken (see {@link #take}). */
    long since() {
        return since;
    }

    /**
     * A number that is equal for the packets of one flow, from the addresses and ports of the IPv4
     * or IPv6 packet at {@code off} whose TCP header starts at {@code off + l4}. Packets with equal
     * keys may still be of different flows: {@link #holdsFlowOf} decides.
     */
    static int flowKey(byte[] b, int off, int l4) {
        int addresses = (b[off] & 0xF0) == 0x60 ? get32(b, off + 20) ^ Integer.rotateLeft(get32(b, off + 36), 16)
                : get32(b, off + 12) ^ Integer.rotateLeft(get32(b, off + 16), 16);
        return addresses ^ get32(b, off + l4);
    }

    /**
     * Whether the held packet is of the flow of the TCP segment at {@code off} (TCP header at
     * {@code off + l4}, key {@code flowKey}): same IP version, addresses and ports.
     */
    boolean holdsFlowOf(byte[] b, int off, int l4, int flowKey) {
        return length > 0 && key == flowKey && holdsAddressesOf(b, off)
                && equal(b, off + l4, held, Offload.HEADER + ipLength, 4);
    }

    /** Whether the held packet has the IP version and addresses of the packet at {@code off}. */
    boolean holdsAddressesOf(byte[] b, int off) {
        int p = Offload.HEADER;
        if (length == 0 || (b[off] & 0xF0) != (held[p] & 0xF0)) {
            return false;
        }
        return ipLength == 40 ? equal(b, off + 8, held, p + 8, 32) : equal(b, off + 12, held, p + 12, 8);
    }

    /**
     * Appends the payload of {@code b[off, off+len)} to the held packet if it is the flow's next
     * segment; returns false, changing nothing, if it is not.
     */
    boolean append(byte[] b, int off, int len) {
        int heldTcp = Offload.HEADER + ipLength;
        int merged = length - headers; // payload bytes held
        // Nothing follows a short segment or one with PSH.
        if (length == 0 || merged % gsoSize != 0 || (held[heldTcp + 13] & PSH) != 0 || len > headers + gsoSize
                || length + len - headers > MAX_PACKET || candidate(b, off, len) != ipLength || !sameFlow(b, off, len)) {
            return false;
        }
        int tcp = off + ipLength;
        if (get32(b, tcp + 4) != get32(held, heldTcp + 4) + merged || !Offload.tcpChecksumValid(b, off, len, ipLength)) {
            return false;
        }
        int payload = len - headers;
        System.arraycopy(b, off + headers, held, Offload.HEADER + length, payload);
        length += payload;
        held[heldTcp + 13] |= (byte) (b[tcp + 13] & PSH);
        return true;
    }

    /**
     * Ends the held packet: fills in its lengths, checksums and virtio header. Returns how many bytes
     * of {@link #buffer()} to write (virtio header included); holds nothing afterwards.
     */
    int finish() {
        byte[] h = held;
        int p = Offload.HEADER;
        for (int i = 0; i < Offload.HEADER; i++) {
            h[i] = 0;
        }
        boolean v6 = ipLength == 40;
        if (length - headers > gsoSize) {
            if (v6) {
                put16(h, p + 4, length - 40);
            } else {
                put16(h, p + 2, length);
                Offload.ipv4HeaderChecksum(h, p);
            }
            int tcpLength = length - ipLength;
            // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel adds the rest.
            put16(h, p + ipLength + 16, Offload.fold(Offload.pseudoHeader(h, p, Offload.TCP, tcpLength)));
            h[0] = Offload.F_NEEDS_CSUM;
            h[1] = (byte) (v6 ? Offload.GSO_TCPV6 : Offload.GSO_TCPV4);
            putLittle16(h, 2, headers);
            putLittle16(h, 4, gsoSize);
            putLittle16(h, 6, ipLength);
            putLittle16(h, 8, 16);
        }
        int n = Offload.HEADER + length;
        length = 0;
        return n;
    }

    /** The virtio header and packet that {@link #finish()} completed. */
    byte[] buffer() {
        return held;
    }

    /** How many segments the held packet has merged. */
    int segments() {
        return (length - headers + gsoSize - 1) / gsoSize;
    }

    /**
     * The IP header length if the packet is a TCP segment with payload that may be merged (see the
     * class comment), else -1.
     */
    private static int candidate(byte[] b, int off, int len) {
        if (len < 41) {
            return -1;
        }
        int ip;
        int version = (b[off] & 0xF0) >>> 4;
        if (version == 4) {
            if (b[off] != 0x45 || b[off + 9] != Offload.TCP || get16(b, off + 2) != len
                    || (get16(b, off + 6) & 0x3FFF) != 0) {
                return -1; // options, another protocol, a wrong length, or a fragment
            }
            ip = 20;
        } else if (version == 6) {
            if (b[off + 6] != Offload.TCP || get16(b, off + 4) != len - 40) {
                return -1;
            }
            ip = 40;
        } else {
            return -1;
        }
        int tcp = tcpHeaderLength(b, off + ip);
        if (tcp < 20 || ip + tcp >= len || ((b[off + ip + 13] & 0xFF) & ~PSH) != ACK) {
            return -1;
        }
        return ip;
    }

    private boolean sameFlow(byte[] b, int off, int len) {
        byte[] h = held;
        int p = Offload.HEADER;
        if (ipLength == 40) {
            // version and traffic class, hop limit, addresses
            if (b[off] != h[p] || (b[off + 1] & 0xF0) != (h[p + 1] & 0xF0) || b[off + 7] != h[p + 7]
                    || !equal(b, off + 8, h, p + 8, 32)) {
                return false;
            }
        } else if (b[off + 1] != h[p + 1] || (b[off + 6] & 0xE0) != (h[p + 6] & 0xE0) || b[off + 8] != h[p + 8]
                || !equal(b, off + 12, h, p + 12, 8)) {
            return false;
        }
        int tcp = off + ipLength;
        int heldTcp = p + ipLength;
        return tcpHeaderLength(b, tcp) == headers - ipLength
                && equal(b, tcp, h, heldTcp, 4) // ports
                && equal(b, tcp + 8, h, heldTcp + 8, 4) // acknowledgment number
                && equal(b, tcp + 20, h, heldTcp + 20, headers - ipLength - 20); // options
    }

    private static int tcpHeaderLength(byte[] b, int tcp) {
        return ((b[tcp + 12] & 0xF0) >>> 4) * 4;
    }

    private static boolean equal(byte[] a, int at, byte[] b, int bt, int n) {
        for (int i = 0; i < n; i++) {
            if (a[at + i] != b[bt + i]) {
                return false;
            }
        }
        return true;
    }

    private static void putLittle16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }
}

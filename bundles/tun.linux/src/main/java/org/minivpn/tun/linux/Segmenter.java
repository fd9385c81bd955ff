package org.minivpn.tun.linux;

import static org.minivpn.tun.linux.Offload.get16;
import static org.minivpn.tun.linux.Offload.get32;
import static org.minivpn.tun.linux.Offload.put16;
import static org.minivpn.tun.linux.Offload.put32;

/**
 * Cuts a TCP segment the kernel handed over with {@code VIRTIO_NET_HDR_GSO_TCPV4/6} into packets of
 * at most {@code gso_size} bytes of payload, as the kernel's own TSO would: each gets the headers
 * with its own sequence number, IPv4 identification, lengths and checksums; FIN and PSH stay on the
 * last packet only, CWR on the first.
 *
 * <p>One reader thread. The segment lives in the array given to {@link #start}, which must not change
 * until {@link #hasNext()} is false. Allocates nothing.
 */
final class Segmenter {

    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    private byte[] packet;
    private int length;
    private boolean v6;
    private int ipLength;
    private int headers;
    private int gsoSize;
    private int sequence;
    private int identification;
    private int flags;
    private int next; // offset of the next payload byte to send; == length when done
    private int count;

    /**
     * Takes the segment {@code packet[0, length)} (IP header first, no virtio header). Returns false,
     * taking nothing, when it is not a TCP segment this class can cut: then the caller drops it.
     *
     * @param csumStart where the TCP header starts, as the virtio header says
     */
    boolean start(byte[] packet, int length, int gsoSize, int csumStart) {
        if (length < 40 || gsoSize <= 0) {
            return false;
        }
        int version = (packet[0] & 0xF0) >>> 4;
        int ip;
        if (version == 4) {
            ip = (packet[0] & 0x0F) * 4;
            if (ip < 20 || packet[9] != Offload.TCP) {
                return false;
            }
        } else if (version == 6) {
            ip = csumStart;
            if (ip < 40 || (ip == 40 && packet[6] != Offload.TCP)) {
                return false;
            }
        } else {
            return false;
        }
        if (ip + 20 > length) {
            return false;
        }
        int tcpLength = ((packet[ip + 12] & 0xF0) >>> 4) * 4;
        if (tcpLength < 20 || ip + tcpLength >= length) {
            return false;
        }
        this.packet = packet;
        this.length = length;
        this.v6 = version == 6;
        this.ipLength = ip;
        this.headers = ip + tcpLength;
        this.gsoSize = gsoSize;
        this.sequence = get32(packet, ip + 4);
        this.identification = v6 ? 0 : get16(packet, 4);
        this.flags = packet[ip + 13] & 0xFF;
        this.next = headers;
        this.count = 0;
        return true;
    }

    /** Whether packets of the current segment are left. */
    boolean hasNext() {
        return packet != null && next < length;
    }

    /**
     * Writes the next packet into {@code buf[off, off+len)} and returns its length; a packet longer
     * than {@code len} is cut to {@code len} (its checksums are then wrong, as the device contract says
     * for a buffer too small).
     */
    int next(byte[] buf, int off, int len) {
        int payload = Math.min(gsoSize, length - next);
        boolean last = next + payload >= length;
        int total = headers + payload;
        System.arraycopy(packet, 0, buf, off, Math.min(headers, len));
        if (len < total) {
            System.arraycopy(packet, next, buf, off + Math.min(headers, len), Math.max(0, len - headers));
            advance(payload, last);
            return len;
        }
        System.arraycopy(packet, next, buf, off + headers, payload);
        if (v6) {
            put16(buf, off + 4, total - 40);
        } else {
            put16(buf, off + 2, total);
            put16(buf, off + 4, identification + count);
            Offload.ipv4HeaderChecksum(buf, off);
        }
        int tcp = off + ipLength;
        put32(buf, tcp + 4, sequence + (next - headers));
        int f = flags;
        if (!last) {
            f &= ~(FIN | PSH);
        }
        if (count > 0) {
            f &= ~CWR;
        }
        buf[tcp + 13] = (byte) f;
        buf[tcp + 16] = 0;
        buf[tcp + 17] = 0;
        int tcpLength = total - ipLength;
        long sum = Offload.sum(buf, tcp, tcpLength, Offload.pseudoHeader(buf, off, Offload.TCP, tcpLength));
        put16(buf, tcp + 16, ~Offload.fold(sum) & 0xFFFF);
        advance(payload, last);
        return total;
    }

    private void advance(int payload, boolean last) {
        next += payload;
        count++;
        if (last) {
            packet = null;
        }
    }
}

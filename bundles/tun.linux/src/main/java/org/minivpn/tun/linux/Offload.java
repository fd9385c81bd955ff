package org.minivpn.tun.linux;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The {@code virtio_net_hdr} that a TUN device opened with {@code IFF_VNET_HDR} puts before every
 * packet, and the Internet checksum arithmetic that segmentation and coalescing need. With
 * {@code TUNSETOFFLOAD} the kernel hands over TCP segments of up to 64 KB at once
 * ({@link Segmenter} cuts them into MTU-sized packets) and takes them back
 * ({@link Coalescer} merges consecutive segments of one flow), so that the kernel's stacks on both
 * sides of the tunnel handle one large packet where they would handle dozens.
 *
 * <p>Everything here works on the caller's arrays and allocates nothing.
 */
final class Offload {

    /** Size of {@code struct virtio_net_hdr}, the kernel's default for a TUN device. */
    static final int HEADER = 10;

    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;
    static final int GSO_ECN = 0x80;

    static final int TCP = 6;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private Offload() {
    }

    /** Ones' complement sum of {@code b[off, off+len)} as 16-bit big-endian words, added to {@code sum}, not folded. */
    static long sum(byte[] b, int off, int len, long sum) {
        int i = off;
        int end = off + len;
        for (; end - i >= 4; i += 4) {
            sum += (int) INT.get(b, i) & 0xFFFFFFFFL;
        }
        if (end - i >= 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
            i += 2;
        }
        if (i < end) {
            sum += (b[i] & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits. */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /**
     * The unfolded sum of the TCP/UDP pseudo-header of the IPv4 or IPv6 packet at {@code off}
     * (version from its first byte) for a transport segment of {@code l4Length} bytes.
     */
    static long pseudoHeader(byte[] b, int off, int protocol, int l4Length) {
        boolean v6 = (b[off] & 0xF0) == 0x60;
        long sum = v6 ? sum(b, off + 8, 32, 0) : sum(b, off + 12, 8, 0);
        return sum + protocol + l4Length;
    }

    /** Writes the IPv4 header checksum of the header at {@code off}. */
    static void ipv4HeaderChecksum(byte[] b, int off) {
        int ihl = (b[off] & 0x0F) * 4;
        b[off + 10] = 0;
        b[off + 11] = 0;
        put16(b, off + 10, ~fold(sum(b, off, ihl, 0)) & 0xFFFF);
    }

    /**
     * Completes a checksum the kernel left partial ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}): the field at
     * {@code start + offset} holds the pseudo-header sum; the sum from {@code start} to the end of the
     * packet goes into it. Returns false (and changes nothing) when the offsets lie outside the packet.
     */
    static boolean completeChecksum(byte[] b, int off, int len, int start, int offset) {
        if (start < 0 || offset < 0 || start + offset + 2 > len) {
            return false;
        }
        int value = ~fold(sum(b, off + start, len - start, 0)) & 0xFFFF;
        put16(b, off + start + offset, value == 0 ? 0xFFFF : value);
        return true;
    }

    /** Whether the TCP checksum of the packet at {@code off} (IP header {@code ipLength} bytes) is right. */
    static boolean tcpChecksumValid(byte[] b, int off, int len, int ipLength) {
        int tcpLength = len - ipLength;
        return fold(sum(b, off + ipLength, tcpLength, pseudoHeader(b, off, TCP, tcpLength))) == 0xFFFF;
    }

    static int get16(byte[] b, int at) {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static int get32(byte[] b, int at) {
        return (int) INT.get(b, at);
    }

    static void put32(byte[] b, int at, int v) {
        INT.set(b, at, v);
    }
}

package org.minivpn.tun.linux;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Builds and reads the IPv4/IPv6 packets the tests exchange with the kernel, checksums included. */
final class Packets {

    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMPV6 = 58;

    private Packets() {
    }

    /** An ICMP (v4) or ICMPv6 echo request with {@code payload} bytes of data. */
    static byte[] echoRequest(InetAddress src, InetAddress dst, int id, int seq, int payload) {
        byte[] icmp = new byte[8 + payload];
        boolean v6 = src instanceof Inet6Address;
        icmp[0] = (byte) (v6 ? 128 : 8);
        put16(icmp, 4, id);
        put16(icmp, 6, seq);
        for (int i = 0; i < payload; i++) {
            icmp[8 + i] = (byte) (i * 7 + seq);
        }
        return v6 ? ipv6(src, dst, ICMPV6, icmp) : ipv4(src, dst, ICMP, icmp);
    }

    /** A UDP datagram in IPv4 or IPv6. */
    static byte[] udp(InetAddress src, int srcPort, InetAddress dst, int dstPort, byte[] data) {
        byte[] udp = new byte[8 + data.length];
        put16(udp, 0, srcPort);
        put16(udp, 2, dstPort);
        put16(udp, 4, udp.length);
        System.arraycopy(data, 0, udp, 8, data.length);
        return src instanceof Inet6Address ? ipv6(src, dst, UDP, udp) : ipv4(src, dst, UDP, udp);
    }

    static byte[] ipv4(InetAddress src, InetAddress dst, int protocol, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(src.getAddress(), 0, p, 12, 4);
        System.arraycopy(dst.getAddress(), 0, p, 16, 4);
        put16(p, 10, ~sum(p, 0, 20, 0) & 0xffff);
        System.arraycopy(payload, 0, p, 20, payload.length);
        if (protocol == ICMP) {
            put16(p, 22, ~sum(p, 20, payload.length, 0) & 0xffff);
        } else if (protocol == UDP || protocol == TCP) {
            int pseudo = sum(p, 12, 8, 0) + protocol + payload.length;
            put16(p, protocol == UDP ? 26 : 36, ~sum(p, 20, payload.length, pseudo) & 0xffff);
        }
        return p;
    }

    static byte[] ipv6(InetAddress src, InetAddress dst, int next, byte[] payload) {
        byte[] p = new byte[40 + payload.length];
        p[0] = 0x60;
        put16(p, 4, payload.length);
        p[6] = (byte) next;
        p[7] = 64;
        System.arraycopy(src.getAddress(), 0, p, 8, 16);
        System.arraycopy(dst.getAddress(), 0, p, 24, 16);
        System.arraycopy(payload, 0, p, 40, payload.length);
        int pseudo = sum(p, 8, 32, 0) + payload.length + next;
        int at = next == ICMPV6 ? 42 : next == TCP ? 56 : 46;
        put16(p, at, ~sum(p, 40, payload.length, pseudo) & 0xffff);
        return p;
    }

    /**
     * A TCP segment in IPv4 or IPv6 with {@code options} (a multiple of 4 bytes) and {@code data};
     * {@code flags} as in the TCP header (0x10 ACK, 0x08 PSH...).
     */
    static byte[] tcp(InetAddress src, int srcPort, InetAddress dst, int dstPort, int seq, int ack, int flags,
            byte[] options, byte[] data) {
        byte[] tcp = new byte[20 + options.length + data.length];
        put16(tcp, 0, srcPort);
        put16(tcp, 2, dstPort);
        put32(tcp, 4, seq);
        put32(tcp, 8, ack);
        tcp[12] = (byte) (((20 + options.length) / 4) << 4);
        tcp[13] = (byte) flags;
        put16(tcp, 14, 502);
        System.arraycopy(options, 0, tcp, 20, options.length);
        System.arraycopy(data, 0, tcp, 20 + options.length, data.length);
        return src instanceof Inet6Address ? ipv6(src, dst, TCP, tcp) : ipv4(src, dst, TCP, tcp);
    }

    /** Whether the TCP or UDP checksum of a packet is right, computed here 16 bits at a time. */
    static boolean transportChecksumValid(byte[] p, int len) {
        int l4 = payloadOffset(p);
        int pseudo = (version(p) == 4 ? sum(p, 12, 8, 0) : sum(p, 8, 32, 0)) + protocol(p) + len - l4;
        return sum(p, l4, len - l4, pseudo) == 0xffff;
    }

    /** Whether the IPv4 header checksum of a packet is right. */
    static boolean ipv4HeaderValid(byte[] p) {
        return sum(p, 0, (p[0] & 0x0f) * 4, 0) == 0xffff;
    }

    static int get32(byte[] b, int at) {
        return get16(b, at) << 16 | get16(b, at + 2);
    }

    static void put32(byte[] b, int at, int v) {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    /** The IP version of a packet (4 or 6). */
    static int version(byte[] p) {
        return (p[0] & 0xf0) >>> 4;
    }

    /** The upper-layer protocol (v4 protocol field, or v6 next header). */
    static int protocol(byte[] p) {
        return version(p) == 4 ? p[9] & 0xff : p[6] & 0xff;
    }

    /** Where the upper-layer header starts. */
    static int payloadOffset(byte[] p) {
        return version(p) == 4 ? (p[0] & 0x0f) * 4 : 40;
    }

    static InetAddress source(byte[] p) throws Exception {
        return version(p) == 4 ? InetAddress.getByAddress(slice(p, 12, 4)) : InetAddress.getByAddress(slice(p, 8, 16));
    }

    static InetAddress destination(byte[] p) throws Exception {
        return version(p) == 4 ? InetAddress.getByAddress(slice(p, 16, 4)) : InetAddress.getByAddress(slice(p, 24, 16));
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    static int get16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static byte[] slice(byte[] b, int at, int len) {
        byte[] s = new byte[len];
        System.arraycopy(b, at, s, 0, len);
        return s;
    }

    private static int sum(byte[] b, int at, int len, int start) {
        long s = start;
        for (int i = 0; i + 1 < len; i += 2) {
            s += get16(b, at + i);
        }
        if ((len & 1) != 0) {
            s += (b[at + len - 1] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }
}

package org.minivpn.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Segmentation and merging of TCP segments, checked against checksums computed independently
 * ({@link Packets}), and against each other: what {@link Segmenter} cuts, {@link Coalescer} puts back.
 */
class OffloadTest {

    private static final byte[] TIMESTAMPS = {1, 1, 8, 10, 0, 0, 0, 42, 0, 0, 0, 7};
    private static final int MSS = 1368;

    private static InetAddress address(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    private static byte[] data(int n, int seed) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 31 + seed);
        }
        return d;
    }

    /** A large segment as the kernel hands it over: checksum field holding the pseudo-header sum only. */
    private static byte[] superSegment(String src, String dst, int seq, int flags, byte[] payload) throws Exception {
        byte[] p = Packets.tcp(address(src), 40000, address(dst), 5201, seq, 77, flags, TIMESTAMPS, payload);
        int l4 = Packets.payloadOffset(p);
        Offload.put16(p, l4 + 16, Offload.fold(Offload.pseudoHeader(p, 0, Offload.TCP, p.length - l4)));
        return p;
    }

    private static List<byte[]> cut(byte[] segment, int gsoSize) {
        Segmenter s = new Segmenter();
        assertTrue(s.start(segment, segment.length, gsoSize, Packets.payloadOffset(segment)));
        List<byte[]> out = new ArrayList<>();
        byte[] buf = new byte[2000];
        for (int i = 0; i < 100 && s.hasNext(); i++) {
            int n = s.next(buf, 0, buf.length);
            out.add(Arrays.copyOf(buf, n));
        }
        assertFalse(s.hasNext());
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.7.0.2>198.18.2.2", "fd00:7::2>fd00:2::2"})
    void cutsASegmentIntoValidPacketsAndMergesThemBack(String pair) throws Exception {
        String[] a = pair.split(">");
        byte[] payload = data(20 * MSS + 500, 3);
        byte[] segment = superSegment(a[0], a[1], -1000, 0x18 | 0x01, payload); // ACK PSH FIN, seq wraps
        List<byte[]> packets = cut(segment, MSS);
        assertEquals(21, packets.size());

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        int headers = Packets.payloadOffset(segment) + 32;
        for (int i = 0; i < packets.size(); i++) {
            byte[] p = packets.get(i);
            boolean last = i == packets.size() - 1;
            assertEquals(headers + (last ? 500 : MSS), p.length);
            assertTrue(Packets.transportChecksumValid(p, p.length), "TCP checksum of packet " + i);
            if (Packets.version(p) == 4) {
                assertTrue(Packets.ipv4HeaderValid(p), "IPv4 header checksum of packet " + i);
                assertEquals(p.length, Packets.get16(p, 2));
            } else {
                assertEquals(p.length - 40, Packets.get16(p, 4));
            }
            int tcp = Packets.payloadOffset(p);
            assertEquals(-1000 + i * MSS, Packets.get32(p, tcp + 4));
            assertEquals(last ? 0x19 : 0x10, p[tcp + 13] & 0xFF, "flags of packet " + i);
            joined.write(p, headers, p.length - headers);
        }
        assertArrayEquals(payload, joined.toByteArray());

        // Merging the cut packets (without the FIN, which is never merged) gives the segment back.
        byte[] lastOne = packets.get(20);
        lastOne[Packets.payloadOffset(lastOne) + 13] = 0x18;
        fixChecksum(lastOne);
        Coalescer c = new Coalescer();
        assertTrue(hold(c, packets.get(0), packets.get(0).length));
        for (int i = 1; i < packets.size(); i++) {
            assertTrue(c.append(packets.get(i), 0, packets.get(i).length), "packet " + i);
        }
        assertEquals(21, c.segments());
        int n = c.finish();
        assertFalse(c.isHolding());
        byte[] merged = Arrays.copyOfRange(c.buffer(), Offload.HEADER, n);
        byte[] vnet = c.buffer();
        assertEquals(Offload.F_NEEDS_CSUM, vnet[0]);
        assertEquals(Packets.version(merged) == 4 ? Offload.GSO_TCPV4 : Offload.GSO_TCPV6, vnet[1]);
        assertEquals(headers, little16(vnet, 2));
        assertEquals(MSS, little16(vnet, 4));
        assertEquals(Packets.payloadOffset(merged), little16(vnet, 6));
        assertEquals(16, little16(vnet, 8));
        assertEquals(segment.length, merged.length);
        assertArrayEquals(payload, Arrays.copyOfRange(merged, headers, merged.length));
        assertEquals(0x18, merged[Packets.payloadOffset(merged) + 13]);
        if (Packets.version(merged) == 4) {
            assertTrue(Packets.ipv4HeaderValid(merged));
        }
        // What the kernel does with NEEDS_CSUM makes a valid packet.
        assertTrue(Offload.completeChecksum(merged, 0, merged.length, little16(vnet, 6), 16));
        assertTrue(Packets.transportChecksumValid(merged, merged.length));
    }

    @Test
    void mergesOnlyTheNextSegmentOfTheSameFlow() throws Exception {
        InetAddress c = address("10.7.0.2");
        InetAddress s = address("198.18.2.2");
        byte[] first = Packets.tcp(c, 40000, s, 5201, 1000, 77, 0x10, TIMESTAMPS, data(MSS, 1));
        Coalescer co = new Coalescer();
        assertTrue(hold(co, first, first.length));
        byte[] gap = Packets.tcp(c, 40000, s, 5201, 1000 + 2 * MSS, 77, 0x10, TIMESTAMPS, data(MSS, 2));
        byte[] otherPort = Packets.tcp(c, 40001, s, 5201, 1000 + MSS, 77, 0x10, TIMESTAMPS, data(MSS, 2));
        byte[] otherAck = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 78, 0x10, TIMESTAMPS, data(MSS, 2));
        byte[] syn = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 77, 0x12, TIMESTAMPS, data(MSS, 2));
        byte[] longer = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 77, 0x10, TIMESTAMPS, data(MSS + 1, 2));
        byte[] noOptions = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 77, 0x10, new byte[0], data(MSS + 12, 2));
        byte[] corrupt = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 77, 0x10, TIMESTAMPS, data(MSS, 2));
        corrupt[100] ^= 1;
        for (byte[] p : List.of(gap, otherPort, otherAck, syn, longer, noOptions, corrupt)) {
            assertFalse(co.append(p, 0, p.length));
        }
        byte[] next = Packets.tcp(c, 40000, s, 5201, 1000 + MSS, 77, 0x10, TIMESTAMPS, data(700, 2));
        assertTrue(co.append(next, 0, next.length));
        byte[] after = Packets.tcp(c, 40000, s, 5201, 1000 + MSS + 700, 77, 0x10, TIMESTAMPS, data(700, 3));
        assertFalse(co.append(after, 0, after.length), "nothing follows a short segment");
        assertEquals(2, co.segments());

        // A single held packet goes out as it came, with an empty virtio header.
        co.finish();
        assertTrue(hold(co, after, after.length));
        int n = co.finish();
        assertArrayEquals(new byte[Offload.HEADER], Arrays.copyOf(co.buffer(), Offload.HEADER));
        assertArrayEquals(after, Arrays.copyOfRange(co.buffer(), Offload.HEADER, n));
    }

    @Test
    void holdsNoPacketThatCannotGrow() throws Exception {
        InetAddress c = address("10.7.0.2");
        InetAddress s = address("198.18.2.2");
        Coalescer co = new Coalescer();
        byte[] push = Packets.tcp(c, 40000, s, 5201, 1, 77, 0x18, TIMESTAMPS, data(100, 1));
        byte[] pureAck = Packets.tcp(c, 40000, s, 5201, 1, 77, 0x10, TIMESTAMPS, new byte[0]);
        byte[] udp = Packets.udp(c, 5000, s, 53, data(200, 1));
        byte[] fragment = Packets.tcp(c, 40000, s, 5201, 1, 77, 0x10, TIMESTAMPS, data(100, 1));
        fragment[6] = 0x20; // more fragments
        for (byte[] p : List.of(push, pureAck, udp, fragment)) {
            assertFalse(hold(co, p, p.length));
            assertFalse(co.isHolding());
        }
    }

    @Test
    void completesAChecksumTheKernelLeftPartial() throws Exception {
        byte[] udp = Packets.udp(address("10.7.0.2"), 5000, address("10.7.0.1"), 53, data(333, 9));
        assertTrue(Packets.transportChecksumValid(udp, udp.length));
        int l4 = Packets.payloadOffset(udp);
        Offload.put16(udp, l4 + 6, Offload.fold(Offload.pseudoHeader(udp, 0, Packets.UDP, udp.length - l4)));
        assertFalse(Packets.transportChecksumValid(udp, udp.length));
        assertTrue(Offload.completeChecksum(udp, 0, udp.length, l4, 6));
        assertTrue(Packets.transportChecksumValid(udp, udp.length));
        assertFalse(Offload.completeChecksum(udp, 0, udp.length, udp.length - 1, 6), "offsets outside the packet");
    }

    @Test
    void refusesToCutWhatIsNotTcp() throws Exception {
        byte[] udp = Packets.udp(address("10.7.0.2"), 5000, address("10.7.0.1"), 53, data(3000, 9));
        assertFalse(new Segmenter().start(udp, udp.length, MSS, 20));
        byte[] header = Packets.tcp(address("10.7.0.2"), 1, address("10.7.0.1"), 2, 0, 0, 0x10, TIMESTAMPS, new byte[0]);
        assertFalse(new Segmenter().start(header, header.length, MSS, 20), "no payload");
    }

    /** Holds {@code p} in {@code c} as {@link FlowTable} would: only if it may grow. */
    private static boolean hold(Coalescer c, byte[] p, int len) {
        if (!Coalescer.mayHold(p, 0, len)) {
            return false;
        }
        c.take(p, 0, len, Coalescer.flowKey(p, 0, Packets.payloadOffset(p)), 0);
        return true;
    }

    private static void fixChecksum(byte[] p) {
        int l4 = Packets.payloadOffset(p);
        p[l4 + 16] = 0;
        p[l4 + 17] = 0;
        long sum = Offload.sum(p, l4, p.length - l4, Offload.pseudoHeader(p, 0, Offload.TCP, p.length - l4));
        Offload.put16(p, l4 + 16, ~Offload.fold(sum) & 0xFFFF);
    }

    private static int little16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }
}

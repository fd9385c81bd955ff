package org.minivpn.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FlowTable} without a device: what it writes, in which order, and how many segments each
 * write carries, read back from the virtio header and checked against the segments given.
 */
class FlowTableTest {

    static final byte[] TIMESTAMPS = {1, 1, 8, 10, 0, 0, 0, 42, 0, 0, 0, 7};
    static final int MSS = 1348;
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int FIN = 0x01;

    static final InetAddress CLIENT = address("10.7.0.2");
    static final InetAddress SERVER = address("198.18.2.2");
    static final InetAddress CLIENT6 = address("fd00:7::2");
    static final InetAddress SERVER6 = address("fd00:2::2");

    /** One write the table made: the IP packet and how many segments the kernel is told it holds. */
    record Written(byte[] packet, int segments) {

        int sourcePort() {
            return Packets.get16(packet, Packets.payloadOffset(packet));
        }

        int sequence() {
            return Packets.get32(packet, Packets.payloadOffset(packet) + 4);
        }

        int flags() {
            return packet[Packets.payloadOffset(packet) + 13] & 0xFF;
        }

        byte[] payload() {
            int at = Packets.payloadOffset(packet) + ((packet[Packets.payloadOffset(packet) + 12] & 0xF0) >>> 2);
            return Arrays.copyOfRange(packet, at, packet.length);
        }
    }

    /** Records what a {@link FlowTable} writes. */
    static final class Recorder implements FlowTable.Output {
        final List<Written> written = new ArrayList<>();

        @Override
        public void packet(byte[] b, int off, int len) {
            written.add(new Written(Arrays.copyOfRange(b, off, off + len), 1));
        }

        @Override
        public void merged(byte[] frame, int len) {
            written.add(decode(frame, len));
        }
    }

    /**
     * The packet behind a virtio header, with its segment count; checks that the merged packet is
     * what the kernel would accept (lengths, IPv4 header checksum, the TCP checksum once completed).
     */
    static Written decode(byte[] frame, int len) {
        byte[] p = Arrays.copyOfRange(frame, Offload.HEADER, len);
        if (frame[1] == Offload.GSO_NONE) {
            assertTrue(Packets.transportChecksumValid(p, p.length), "a single segment keeps its checksum");
            return new Written(p, 1);
        }
        int headers = little16(frame, 2);
        int gsoSize = little16(frame, 4);
        assertEquals(Packets.version(p) == 4 ? Offload.GSO_TCPV4 : Offload.GSO_TCPV6, frame[1]);
        if (Packets.version(p) == 4) {
            assertTrue(Packets.ipv4HeaderValid(p));
            assertEquals(p.length, Packets.get16(p, 2));
        } else {
            assertEquals(p.length - 40, Packets.get16(p, 4));
        }
        byte[] completed = p.clone();
        assertTrue(Offload.completeChecksum(completed, 0, completed.length, little16(frame, 6), little16(frame, 8)));
        assertTrue(Packets.transportChecksumValid(completed, completed.length));
        return new Written(completed, (p.length - headers + gsoSize - 1) / gsoSize);
    }

    static int little16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (Exception e) {
            throw new IllegalArgumentException(a, e);
        }
    }

    static byte[] data(int n, int seed) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 31 + seed);
        }
        return d;
    }

    /** Segment {@code i} (from 0) of the flow from {@code port}: sequence numbers follow on. */
    static byte[] segment(InetAddress src, InetAddress dst, int port, int i, int flags) {
        return segment(src, dst, port, i, flags, MSS);
    }

    /** As above, with {@code size} bytes of payload in each segment. */
    static byte[] segment(InetAddress src, InetAddress dst, int port, int i, int flags, int size) {
        return Packets.tcp(src, port, dst, 5201, port * 100_000 + i * size, 77, flags, TIMESTAMPS, data(size, port + i));
    }

    static byte[] segment(int port, int i) {
        return segment(CLIENT, SERVER, port, i, ACK);
    }

    private static void write(FlowTable t, byte[] p) throws Exception {
        t.write(p, 0, p.length);
    }

    @Test
    void interleavedFlowsMergeIntoOnePacketPerFlowWrittenOldestFirstAtFlush() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(FlowTable.FLOWS, out);
        int[] ports = {40000, 40001, 40002, 40003};
        ByteArrayOutputStream[] sent = new ByteArrayOutputStream[5];
        for (int k = 0; k < 5; k++) {
            sent[k] = new ByteArrayOutputStream();
        }
        for (int i = 0; i < 12; i++) {
            for (int k = 0; k < 5; k++) {
                byte[] p = k < 4 ? segment(ports[k], i) : segment(CLIENT6, SERVER6, 40004, i, ACK);
                write(t, p);
                sent[k].write(p, p.length - MSS, MSS);
            }
        }
        assertEquals(List.of(), out.written, "nothing goes out before the flush");
        assertEquals(5, t.holding());
        t.flush();
        assertEquals(0, t.holding());
        assertEquals(5, out.written.size());
        for (int k = 0; k < 5; k++) {
            Written w = out.written.get(k);
            assertEquals(40000 + k, w.sourcePort(), "oldest first");
            assertEquals(12, w.segments());
            assertEquals((40000 + k) * 100_000, w.sequence());
            assertArrayEquals(sent[k].toByteArray(), w.payload());
        }
        assertEquals(6, Packets.version(out.written.get(4).packet()));
        t.flush();
        assertEquals(5, out.written.size(), "a second flush has nothing to write");
    }

    @Test
    void aSegmentThatDoesNotContinueItsFlowGoesAfterWhatTheFlowHeld() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(FlowTable.FLOWS, out);
        write(t, segment(40000, 0));
        write(t, segment(40001, 0));
        write(t, segment(40000, 1));
        write(t, segment(CLIENT, SERVER, 40000, 2, ACK | PSH)); // merged: PSH may end a merged packet
        write(t, segment(40001, 1));
        write(t, segment(CLIENT, SERVER, 40000, 3, ACK | FIN)); // nothing follows PSH: A's packet goes first
        write(t, segment(40001, 3)); // a gap in B: B's packet goes first, the new segment is held
        write(t, segment(40001, 2)); // the retransmission: after what B held
        byte[] otherAck = Packets.tcp(CLIENT, 40001, SERVER, 5201, 40001 * 100_000 + 3 * MSS, 78, ACK, TIMESTAMPS, data(MSS, 1));
        write(t, otherAck);
        t.flush();

        List<String> seen = new ArrayList<>();
        for (Written w : out.written) {
            seen.add(w.sourcePort() + ":" + (w.sequence() - w.sourcePort() * 100_000) / MSS + "x" + w.segments()
                    + ((w.flags() & PSH) != 0 ? "P" : "") + ((w.flags() & FIN) != 0 ? "F" : ""));
        }
        assertEquals(List.of("40000:0x3P", "40000:3x1F", "40001:0x2", "40001:3x1", "40001:2x1", "40001:3x1"), seen);
    }

    @Test
    void aNewFlowBeyondTheTableWritesOutTheFlowHeldLongest() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(FlowTable.FLOWS, out);
        for (int i = 0; i < 2; i++) {
            for (int f = 0; f < FlowTable.FLOWS; f++) {
                write(t, segment(40000 + f, i));
            }
        }
        assertEquals(List.of(), out.written);
        byte[] pureAck = Packets.tcp(CLIENT, 50000, SERVER, 5201, 1, 77, ACK, TIMESTAMPS, new byte[0]);
        write(t, pureAck);
        assertEquals(1, out.written.size(), "a packet that cannot grow takes no slot");
        assertEquals(50000, out.written.get(0).sourcePort());

        write(t, segment(40008, 0)); // a ninth flow
        assertEquals(2, out.written.size());
        assertEquals(40000, out.written.get(1).sourcePort());
        assertEquals(2, out.written.get(1).segments());
        write(t, segment(40008, 1));
        write(t, segment(40001, 2));
        t.flush();
        List<Integer> order = new ArrayList<>();
        for (Written w : out.written.subList(2, out.written.size())) {
            order.add(w.sourcePort());
            assertEquals(w.sourcePort() == 40001 ? 3 : 2, w.segments());
        }
        assertEquals(List.of(40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008), order);
    }

    @Test
    void otherProtocolsPassHeldSegmentsAndAHiddenTcpPacketWritesItsAddressesFirst() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(FlowTable.FLOWS, out);
        write(t, segment(40000, 0));
        write(t, segment(CLIENT6, SERVER6, 40001, 0, ACK));
        byte[] udp = Packets.udp(CLIENT, 5000, SERVER, 53, data(200, 1));
        byte[] icmp = Packets.echoRequest(CLIENT, SERVER, 1, 1, 56);
        byte[] icmp6 = Packets.echoRequest(CLIENT6, SERVER6, 1, 1, 56);
        write(t, udp);
        write(t, icmp);
        write(t, icmp6);
        assertEquals(3, out.written.size());
        assertArrayEquals(udp, out.written.get(0).packet());
        assertArrayEquals(icmp, out.written.get(1).packet());
        assertArrayEquals(icmp6, out.written.get(2).packet());
        assertEquals(2, t.holding());

        // A TCP fragment of other addresses passes; one of the held flow's addresses goes after it.
        byte[] elsewhere = Packets.tcp(CLIENT, 40000, address("198.18.2.3"), 5201, 1, 77, ACK, TIMESTAMPS, data(100, 1));
        elsewhere[6] = 0x20; // more fragments
        write(t, elsewhere);
        assertEquals(2, t.holding());
        byte[] fragment = Packets.tcp(CLIENT, 40000, SERVER, 5201, 1, 77, ACK, TIMESTAMPS, data(100, 1));
        fragment[6] = 0x20;
        write(t, fragment);
        assertEquals(1, t.holding());
        assertEquals(40000, out.written.get(4).sourcePort());
        assertArrayEquals(fragment, out.written.get(5).packet());

        // IPv6 with a hop-by-hop header before its TCP header.
        byte[] hopByHop = Packets.ipv6(CLIENT6, SERVER6, 0, new byte[] {6, 0, 1, 4, 0, 0, 0, 0});
        write(t, hopByHop);
        assertEquals(0, t.holding());
        assertEquals(40001, out.written.get(6).sourcePort());
        assertArrayEquals(hopByHop, out.written.get(7).packet());
    }

    @Test
    void aCorruptedSegmentIsNotMergedAndGoesInItsPlace() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(FlowTable.FLOWS, out);
        write(t, segment(40000, 0));
        write(t, segment(40000, 1));
        byte[] corrupt = segment(40000, 2);
        corrupt[corrupt.length - 5] ^= 0x40;
        write(t, corrupt);
        write(t, segment(40000, 3));
        write(t, segment(40000, 4));
        t.flush();
        assertEquals(3, out.written.size());
        assertEquals(2, out.written.get(0).segments());
        assertArrayEquals(corrupt, out.written.get(1).packet(), "written as it came, for the kernel to drop");
        assertEquals(40000 * 100_000 + 3 * MSS, out.written.get(2).sequence());
        assertEquals(2, out.written.get(2).segments());

        Recorder alone = new Recorder();
        FlowTable first = new FlowTable(1, alone);
        write(first, corrupt);
        assertEquals(1, alone.written.size(), "a corrupted segment is never held");
    }

    @Test
    void oneSlotHoldsOneFlowAtATime() throws Exception {
        Recorder out = new Recorder();
        FlowTable t = new FlowTable(1, out);
        for (int i = 0; i < 4; i++) {
            write(t, segment(40000, i));
            write(t, segment(40001, i));
        }
        t.flush();
        assertEquals(8, out.written.size());
        assertThrows(IllegalArgumentException.class, () -> new FlowTable(0, out));
    }

    @Test
    void writingAndFlushingAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] written = new long[1];
        FlowTable t = new FlowTable(FlowTable.FLOWS, new FlowTable.Output() {
            @Override
            public void packet(byte[] b, int off, int len) {
                written[0]++;
            }

            @Override
            public void merged(byte[] frame, int len) {
                written[0]++;
            }
        });
        byte[][] packets = new byte[12 * 9 + 1][];
        for (int i = 0; i < 12; i++) {
            for (int f = 0; f < 9; f++) { // one flow more than the table holds
                packets[i * 9 + f] = segment(40000 + f, i);
            }
        }
        packets[packets.length - 1] = Packets.udp(CLIENT, 5000, SERVER, 53, data(200, 1));
        for (int round = 0; round < 3000; round++) { // until the JIT has settled
            run(t, packets);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < 1000; round++) {
            run(t, packets);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for 109k packets");
        assertTrue(written[0] > 0);
    }

    private static void run(FlowTable t, byte[][] packets) throws Exception {
        for (byte[] p : packets) {
            t.write(p, 0, p.length);
        }
        t.flush();
    }
}

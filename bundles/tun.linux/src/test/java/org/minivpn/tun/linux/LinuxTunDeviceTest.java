package org.minivpn.tun.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunSettings;
import org.minivpn.testsupport.Needs;

/** The Linux backend against the real kernel, inside a network namespace this class creates. */
@Timeout(60)
class LinuxTunDeviceTest {

    private static NetNamespace ns;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private static final InetAddress LOCAL4 = IpPrefix.parseAddress("10.210.1.1");
    private static final InetAddress PEER4 = IpPrefix.parseAddress("10.210.1.2");
    private static final InetAddress LOCAL6 = IpPrefix.parseAddress("fd00:210::1");
    private static final InetAddress PEER6 = IpPrefix.parseAddress("fd00:210::2");
    private static final TunSettings SETTINGS = new TunSettings(1400,
            List.of(IpPrefix.parse("10.210.1.1/24"), IpPrefix.parse("fd00:210::1/64")));

    @BeforeAll
    static void namespace() throws IOException {
        Needs.root("ip", "/dev/net/tun");
        ns = NetNamespace.create();
    }

    @AfterAll
    static void removeNamespace() throws IOException {
        if (ns != null) {
            ns.close();
        }
    }

    private static String nextName() {
        return "mvt" + NAMES.incrementAndGet();
    }

    private static LinuxTunDevice create(String name, Runnable onLost) throws Exception {
        return ns.inside(() -> LinuxTunDevice.create(name, LinuxTunDevice.DEV_NET_TUN, onLost));
    }

    private static LinuxTunDevice createConfigured() throws Exception {
        LinuxTunDevice d = create(nextName(), () -> { });
        d.configure(SETTINGS);
        return d;
    }

    @Test
    void theKernelAnswersAPingWrittenToTheDevice() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            for (InetAddress[] pair : new InetAddress[][] {{PEER4, LOCAL4}, {PEER6, LOCAL6}}) {
                byte[] request = Packets.echoRequest(pair[0], pair[1], 0x4d56, 7, 56);
                // Sent again every half second, as ping does: right after link up the kernel may not
                // have its IPv6 routes yet.
                byte[] reply = awaitPacket(d, request, p -> {
                    int at = Packets.payloadOffset(p);
                    int type = p[at] & 0xff;
                    return (type == 0 && Packets.protocol(p) == Packets.ICMP) || (type == 129 && Packets.protocol(p) == Packets.ICMPV6);
                });
                assertEquals(pair[1], Packets.source(reply));
                assertEquals(pair[0], Packets.destination(reply));
                int at = Packets.payloadOffset(reply);
                assertEquals(0x4d56, Packets.get16(reply, at + 4));
                assertEquals(7, Packets.get16(reply, at + 6));
                assertArrayEquals(Arrays.copyOfRange(request, request.length - 56, request.length),
                        Arrays.copyOfRange(reply, reply.length - 56, reply.length));
            }
            assertEquals(0, d.droppedWrites());
        }
    }

    @Test
    void udpGoesBothWaysBetweenASocketAndTheDevice() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            DatagramSocket socket = ns.inside(() -> new DatagramSocket(new InetSocketAddress(LOCAL4, 0)));
            try {
                socket.setSoTimeout(5000);
                byte[] hello = "hello from the kernel".getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(PEER4, 5555)));
                byte[] out = awaitPacket(d, p -> Packets.protocol(p) == Packets.UDP);
                assertEquals(PEER4, Packets.destination(out));
                int at = Packets.payloadOffset(out);
                assertEquals(5555, Packets.get16(out, at + 2));
                assertEquals(socket.getLocalPort(), Packets.get16(out, at));
                assertArrayEquals(hello, Arrays.copyOfRange(out, at + 8, out.length));

                byte[] answer = "hello from the tunnel".getBytes(StandardCharsets.UTF_8);
                byte[] in = Packets.udp(PEER4, 5555, LOCAL4, socket.getLocalPort(), answer);
                d.write(in, 0, in.length);
                DatagramPacket received = new DatagramPacket(new byte[100], 100);
                socket.receive(received);
                assertEquals(new InetSocketAddress(PEER4, 5555), received.getSocketAddress());
                assertEquals("hello from the tunnel", new String(received.getData(), 0, received.getLength(), StandardCharsets.UTF_8));
            } finally {
                socket.close();
            }
        }
    }

    @Test
    void configureSetsAddressesMtuAndLinkAndReplacesEarlierSettings() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            String link = ns.run("ip", "-o", "link", "show", "dev", d.name());
            assertTrue(link.contains("mtu 1400") && link.contains(",UP"), link);
            String addr = ns.run("ip", "-o", "addr", "show", "dev", d.name());
            assertTrue(addr.contains("10.210.1.1/24") && addr.contains("fd00:210::1/64"), addr);

            d.configure(new TunSettings(1280, List.of(IpPrefix.parse("10.210.2.1/24"))));
            addr = ns.run("ip", "-o", "addr", "show", "dev", d.name());
            assertTrue(addr.contains("10.210.2.1/24"), addr);
            assertFalse(addr.contains("10.210.1.1") || addr.contains("fd00:210::1"), addr);
            assertTrue(ns.run("ip", "-o", "link", "show", "dev", d.name()).contains("mtu 1280"));
            assertEquals(1280, d.mtu());
        }
    }

    @Test
    void aSettingTheKernelRefusesIsReportedAndTheEarlierOnesStay() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            TunSettings bad = new TunSettings(1300, List.of(IpPrefix.parse("10.210.3.1/24"), IpPrefix.parse("ff02::5/64")));
            IOException e = assertThrows(IOException.class, () -> d.configure(bad));
            assertTrue(e.getMessage().contains("add address " + IpPrefix.parse("ff02::5/64")) && e.getMessage().contains(d.name())
                    && e.getMessage().contains("multicast"), e.getMessage());
            String addr = ns.run("ip", "-o", "addr", "show", "dev", d.name());
            assertTrue(addr.contains("10.210.1.1/24") && addr.contains("fd00:210::1/64"), addr);
            assertFalse(addr.contains("10.210.3.1"), addr);
            assertTrue(ns.run("ip", "-o", "link", "show", "dev", d.name()).contains("mtu 1400"));
            assertEquals(1400, d.mtu());
            assertEquals(SETTINGS, d.settings());
        }
    }

    @Test
    void closeRemovesTheInterfaceAndWakesAWaitingReader() throws Exception {
        LinuxTunDevice d = createConfigured();
        assertTrue(ns.hasLink(d.name()));
        CompletableFuture<Throwable> reader = readInBackground(d);
        Thread.sleep(200);
        long start = System.nanoTime();
        d.close();
        assertTrue(reader.get(5, TimeUnit.SECONDS) instanceof ClosedChannelException);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "close took too long");
        assertFalse(ns.hasLink(d.name()), "the interface is gone");
        byte[] p = Packets.echoRequest(PEER4, LOCAL4, 1, 1, 8);
        assertThrows(ClosedChannelException.class, () -> d.write(p, 0, p.length));
        assertThrows(ClosedChannelException.class, () -> d.read(p, 0, p.length, 0));
        d.close();
    }

    @Test
    void anInterfaceDeletedFromOutsideEndsReadsAndWritesAndIsReported() throws Exception {
        AtomicInteger lost = new AtomicInteger();
        String name = nextName();
        try (LinuxTunDevice d = create(name, lost::incrementAndGet)) {
            d.configure(SETTINGS);
            CompletableFuture<Throwable> reader = readInBackground(d);
            Thread.sleep(200);
            ns.run("ip", "link", "del", "dev", name);
            assertTrue(reader.get(5, TimeUnit.SECONDS) instanceof ClosedChannelException);
            assertEquals(1, lost.get());
            assertTrue(d.isLost());
            byte[] p = Packets.echoRequest(PEER4, LOCAL4, 1, 1, 8);
            assertThrows(ClosedChannelException.class, () -> d.write(p, 0, p.length));
            assertThrows(ClosedChannelException.class, () -> d.configure(SETTINGS));
        }
    }

    @Test
    void aDeletedInterfaceIsNoticedWithoutAReader() throws Exception {
        AtomicInteger lost = new AtomicInteger();
        String name = nextName();
        try (LinuxTunDevice d = create(name, lost::incrementAndGet)) {
            assertTrue(d.checkAttached());
            ns.run("ip", "link", "del", "dev", name);
            assertFalse(d.checkAttached());
            assertFalse(d.checkAttached());
            assertEquals(1, lost.get());
        }
    }

    @Test
    void readTimesOutAndTruncatesAndBadPacketsAreDroppedAndCounted() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            byte[] buf = new byte[2000];
            drain(d);
            long start = System.nanoTime();
            assertEquals(-1, d.read(buf, 0, buf.length, 300));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 250 && ms < 2000, "waited " + ms + " ms for 300");
            assertThrows(IllegalArgumentException.class, () -> d.read(buf, 0, buf.length, -1));

            byte[] request = Packets.echoRequest(PEER4, LOCAL4, 9, 9, 200);
            d.write(request, 0, request.length);
            byte[] head = new byte[30];
            int n;
            do {
                n = d.read(head, 0, head.length, 2000);
                assertTrue(n > 0, "an echo reply came");
            } while (Packets.version(head) != 4);
            assertEquals(30, n, "truncated to the buffer");

            byte[] notIp = request.clone();
            notIp[0] = 0x15;
            d.write(notIp, 0, notIp.length);
            d.write(request, 0, 0);
            byte[] big = Packets.echoRequest(PEER4, LOCAL4, 9, 9, 1400);
            d.write(big, 0, big.length);
            ns.run("ip", "link", "set", "dev", d.name(), "down");
            d.write(request, 0, request.length);
            assertEquals(4, d.droppedWrites());
        }
    }

    @Test
    void readAndWriteAllocateNothing() throws Exception {
        try (LinuxTunDevice d = createConfigured()) {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            byte[] request = Packets.echoRequest(PEER4, LOCAL4, 3, 3, 1000);
            byte[] buf = new byte[1500];
            drain(d);
            for (int i = 0; i < 30_000; i++) { // until the JIT has settled: its first compilations allocate
                echo(d, request, buf);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50_000; i++) {
                echo(d, request, buf);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // One object per packet would be 800 KB or more; a stray JIT recompilation on a busy machine is a few KB.
            assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for 50k writes and reads");
        }
    }

    private static void echo(LinuxTunDevice d, byte[] request, byte[] buf) throws IOException {
        d.write(request, 0, request.length);
        int n;
        do {
            n = d.read(buf, 0, buf.length, 1000);
            if (n < 0) {
                throw new IOException("no echo reply within 1 s");
            }
        } while (buf[0] != 0x45 || buf[20] != 0);
    }

    @Test
    void namesAreCheckedAndATakenNameIsReported() throws Exception {
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> create("mvtun-this-name-is-long", () -> { }));
        assertTrue(tooLong.getMessage().contains("1..15 bytes"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> create("mv/0", () -> { }));
        assertThrows(IllegalArgumentException.class, () -> create("mv%s", () -> { }));

        try (LinuxTunDevice first = create(nextName(), () -> { })) {
            IOException taken = assertThrows(IOException.class, () -> create(first.name(), () -> { }));
            assertTrue(taken.getMessage().contains("is taken") && taken.getMessage().contains("ip link del " + first.name()),
                    taken.getMessage());
        }
        ns.run("ip", "link", "add", "mvveth0", "type", "veth", "peer", "name", "mvveth1");
        IOException taken = assertThrows(IOException.class, () -> create("mvveth0", () -> { }));
        assertTrue(taken.getMessage().contains("is taken"), taken.getMessage());

        try (LinuxTunDevice numbered = create("mvn%d", () -> { })) {
            assertTrue(numbered.name().matches("mvn[0-9]+"), numbered.name());
            assertTrue(ns.hasLink(numbered.name()));
        }
    }

    @Test
    void aMissingCloneDeviceOrMissingCapabilityIsExplained() throws Exception {
        IOException missing = assertThrows(IOException.class,
                () -> ns.inside(() -> LinuxTunDevice.create(nextName(), Path.of("/nonexistent/net/tun"), () -> { })));
        assertTrue(missing.getMessage().contains("/nonexistent/net/tun is missing") && missing.getMessage().contains("modprobe tun"),
                missing.getMessage());

        String name = nextName();
        IOException denied = assertThrows(IOException.class,
                () -> ns.insideWithoutNetAdmin(() -> LinuxTunDevice.create(name, LinuxTunDevice.DEV_NET_TUN, () -> { })));
        assertTrue(denied.getMessage().contains("needs CAP_NET_ADMIN"), denied.getMessage());
        assertFalse(ns.hasLink(name));
    }

    /** Payload per segment: IPv4 20 + TCP 32 + 1348 and IPv6 40 + 32 + 1328 fill the MTU of 1400. */
    private static int size(InetAddress a) {
        return Packets.isIpv4(a) ? 1348 : 1328;
    }

    private static byte[] segment(InetAddress src, InetAddress dst, int port, int i, int flags) {
        return FlowTableTest.segment(src, dst, port, i, flags, size(src));
    }

    private static void write(LinuxTunDevice d, byte[] p) throws IOException {
        d.write(p, 0, p.length);
    }

    /**
     * The next {@code n} packets the kernel received from the peer addresses, then checks that no
     * further one comes.
     */
    private static List<byte[]> received(PacketTap tap, int n) throws Exception {
        List<byte[]> got = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (got.size() < n && System.nanoTime() - deadline < 0) {
            byte[] p = tap.next(500);
            if (p != null && (Packets.source(p).equals(PEER4) || Packets.source(p).equals(PEER6))) {
                got.add(p);
            }
        }
        assertEquals(n, got.size(), "packets the kernel received");
        byte[] extra;
        while ((extra = tap.next(300)) != null) {
            assertFalse(Packets.source(extra).equals(PEER4) || Packets.source(extra).equals(PEER6),
                    "one packet more than expected, " + extra.length + " bytes");
        }
        return got;
    }

    private static int sourcePort(byte[] p) {
        return Packets.get16(p, Packets.payloadOffset(p));
    }

    private static int segments(byte[] p) {
        int tcp = Packets.payloadOffset(p);
        int payload = p.length - tcp - ((p[tcp + 12] & 0xF0) >>> 2);
        return payload / size(Packets.version(p) == 4 ? PEER4 : PEER6);
    }

    @Test
    void interleavedTcpFlowsReachTheKernelAsOneMergedPacketPerFlow() throws Exception {
        try (LinuxTunDevice d = createConfigured(); PacketTap tap = ns.inside(() -> PacketTap.open(d.index()))) {
            int[] ports = {40000, 40001, 40002, 40003};
            java.io.ByteArrayOutputStream[] sent = new java.io.ByteArrayOutputStream[ports.length];
            for (int k = 0; k < ports.length; k++) {
                sent[k] = new java.io.ByteArrayOutputStream();
            }
            for (int i = 0; i < 8; i++) {
                for (int k = 0; k < ports.length; k++) {
                    InetAddress[] pair = k < 3 ? new InetAddress[] {PEER4, LOCAL4} : new InetAddress[] {PEER6, LOCAL6};
                    byte[] p = segment(pair[0], pair[1], ports[k], i, 0x10);
                    write(d, p);
                    sent[k].write(p, p.length - size(pair[0]), size(pair[0]));
                }
            }
            assertEquals(null, tap.next(300), "held until the flush");
            d.flush();
            List<byte[]> got = received(tap, ports.length);
            for (int k = 0; k < ports.length; k++) {
                byte[] p = got.get(k);
                assertEquals(ports[k], sourcePort(p), "oldest first");
                assertEquals(8, segments(p));
                byte[] payload = sent[k].toByteArray();
                assertArrayEquals(payload, Arrays.copyOfRange(p, p.length - payload.length, p.length));
            }
            assertEquals(0, d.droppedWrites());
        }
    }

    @Test
    void withinAFlowOrderIsKeptWhileOtherPacketsMayPass() throws Exception {
        try (LinuxTunDevice d = createConfigured(); PacketTap tap = ns.inside(() -> PacketTap.open(d.index()))) {
            byte[] udp = Packets.udp(PEER4, 5000, LOCAL4, 5555, "passes".getBytes(StandardCharsets.UTF_8));
            byte[] corrupt = segment(PEER4, LOCAL4, 40001, 1, 0x10);
            corrupt[corrupt.length - 3] ^= 0x10;
            write(d, segment(PEER4, LOCAL4, 40000, 0, 0x10));
            write(d, segment(PEER4, LOCAL4, 40001, 0, 0x10));
            write(d, segment(PEER4, LOCAL4, 40000, 1, 0x10));
            write(d, udp);
            write(d, segment(PEER4, LOCAL4, 40000, 2, 0x18)); // PSH ends the merged packet
            write(d, segment(PEER4, LOCAL4, 40000, 3, 0x11)); // FIN: after it
            write(d, corrupt); // after B's first segment, not merged
            write(d, segment(PEER4, LOCAL4, 40001, 2, 0x10));
            d.flush();
            List<byte[]> got = received(tap, 6);
            assertArrayEquals(udp, got.get(0));
            assertEquals(40000, sourcePort(got.get(1)));
            assertEquals(3, segments(got.get(1)));
            assertEquals(40000, sourcePort(got.get(2)));
            assertEquals(0x11, got.get(2)[20 + 13]);
            assertEquals(40001, sourcePort(got.get(3)));
            assertEquals(1, segments(got.get(3)));
            assertArrayEquals(corrupt, got.get(4));
            assertEquals(40001, sourcePort(got.get(5)));
            assertEquals(40001 * 100_000 + 2 * 1348, Packets.get32(got.get(5), 24));
        }
    }

    @Test
    void aNinthFlowWritesOutTheFlowHeldLongest() throws Exception {
        try (LinuxTunDevice d = createConfigured(); PacketTap tap = ns.inside(() -> PacketTap.open(d.index()))) {
            for (int i = 0; i < 2; i++) {
                for (int f = 0; f < FlowTable.FLOWS; f++) {
                    write(d, segment(PEER4, LOCAL4, 40000 + f, i, 0x10));
                }
            }
            byte[] icmp = Packets.echoRequest(PEER4, LOCAL4, 5, 5, 100);
            write(d, icmp);
            assertArrayEquals(icmp, received(tap, 1).get(0), "ICMP passes the held segments");
            write(d, segment(PEER4, LOCAL4, 40008, 0, 0x10));
            List<byte[]> evicted = received(tap, 1);
            assertEquals(40000, sourcePort(evicted.get(0)));
            assertEquals(2, segments(evicted.get(0)));
            write(d, segment(PEER4, LOCAL4, 40008, 1, 0x10));
            d.flush();
            List<byte[]> got = received(tap, FlowTable.FLOWS);
            for (int f = 0; f < FlowTable.FLOWS; f++) {
                assertEquals(40001 + f, sourcePort(got.get(f)));
                assertEquals(2, segments(got.get(f)));
            }
        }
    }

    private static CompletableFuture<Throwable> readInBackground(LinuxTunDevice d) {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            byte[] buf = new byte[2000];
            try {
                while (true) {
                    d.read(buf, 0, buf.length, 30_000);
                }
            } catch (Throwable e) {
                result.complete(e);
            }
        }, "test-reader");
        t.setDaemon(true);
        t.start();
        return result;
    }

    /** Reads until a packet matches (the kernel also sends its own, e.g. IPv6 router solicitations). */
    static byte[] awaitPacket(LinuxTunDevice d, java.util.function.Predicate<byte[]> wanted) throws IOException {
        return awaitPacket(d, null, wanted);
    }

    /** As above, writing {@code request} first and again every 500 ms while nothing matches. */
    static byte[] awaitPacket(LinuxTunDevice d, byte[] request, java.util.function.Predicate<byte[]> wanted) throws IOException {
        byte[] buf = new byte[65535];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long resend = 0;
        while (System.nanoTime() < deadline) {
            if (request != null && System.nanoTime() - resend > 0) {
                d.write(request, 0, request.length);
                resend = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            }
            int n = d.read(buf, 0, buf.length, 500);
            if (n > 0) {
                byte[] p = Arrays.copyOf(buf, n);
                if (wanted.test(p)) {
                    return p;
                }
            }
        }
        fail("the expected packet did not come within 5 s");
        return null;
    }

    static void drain(LinuxTunDevice d) throws IOException {
        byte[] buf = new byte[65535];
        while (d.read(buf, 0, buf.length, 50) > 0) {
            // the kernel's own packets after link up
        }
    }
}

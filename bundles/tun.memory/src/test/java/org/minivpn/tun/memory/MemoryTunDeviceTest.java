package org.minivpn.tun.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunSettings;

@Timeout(30)
class MemoryTunDeviceTest {

    private final MemoryTunDevice.Pair pair = MemoryTunDevice.pair("tun0", 1400);
    private final MemoryTunDevice device = pair.device();
    private final MemoryTunDevice kernel = pair.kernel();

    @Test
    void whatOneEndWritesTheOtherReads() throws Exception {
        byte[] out = packet(4, 100, 7);
        kernel.write(out, 0, out.length);
        byte[] in = new byte[1500];
        assertEquals(100, device.read(in, 0, in.length, 1000));
        assertArrayEquals(out, Arrays.copyOf(in, 100));

        byte[] back = packet(6, 60, 9);
        device.write(back, 0, back.length);
        assertEquals(60, kernel.read(in, 10, 200, 1000));
        assertArrayEquals(back, Arrays.copyOfRange(in, 10, 70));
        assertSame(kernel, device.peer());
        assertSame(device, kernel.peer());
    }

    @Test
    void packetsKeepTheirOrderAndBoundariesAcrossTheRingsEnd() throws Exception {
        MemoryTunDevice.Pair small = MemoryTunDevice.pair("tun1", 1400, MemoryTunDevice.MIN_QUEUE_BYTES);
        byte[] in = new byte[1400];
        for (int i = 0; i < 1000; i++) {
            byte[] p = packet(4, 20 + (i * 37) % 1380, i);
            small.kernel().write(p, 0, p.length);
            byte[] q = packet(4, 20 + (i * 53) % 1380, i + 1);
            small.kernel().write(q, 0, q.length);
            assertEquals(p.length, small.device().read(in, 0, in.length, 0));
            assertArrayEquals(p, Arrays.copyOf(in, p.length));
            assertEquals(q.length, small.device().read(in, 0, in.length, 0));
            assertArrayEquals(q, Arrays.copyOf(in, q.length));
        }
        assertEquals(0, small.kernel().droppedWrites());
    }

    @Test
    void aLongPacketIsTruncatedToTheReadersBuffer() throws Exception {
        byte[] out = packet(4, 300, 1);
        kernel.write(out, 0, out.length);
        byte[] in = new byte[100];
        assertEquals(100, device.read(in, 0, 100, 1000));
        assertArrayEquals(Arrays.copyOf(out, 100), in);
        assertEquals(-1, device.read(in, 0, 100, 0), "the rest of the packet is gone");
    }

    @Test
    void aReadWithNothingToReadReturnsMinusOneAfterItsTimeout() throws Exception {
        byte[] in = new byte[1500];
        assertEquals(-1, device.read(in, 0, in.length, 0));
        long start = System.nanoTime();
        assertEquals(-1, device.read(in, 0, in.length, 200));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms >= 190 && ms < 2000, "waited " + ms + " ms for a 200 ms timeout");
        assertThrows(IllegalArgumentException.class, () -> device.read(in, 0, in.length, -1));
    }

    @Test
    void aWaitingReaderWakesForAPacket() throws Exception {
        byte[] in = new byte[1500];
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            try {
                return device.read(in, 0, in.length, 10_000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        byte[] out = packet(4, 40, 3);
        long start = System.nanoTime();
        kernel.write(out, 0, out.length);
        assertEquals(40, read.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "woke well before the timeout");
    }

    @Test
    void badPacketsAreDroppedAndCounted() throws Exception {
        byte[] notIp = packet(4, 100, 0);
        notIp[0] = 0x15;
        device.write(notIp, 0, notIp.length);
        device.write(notIp, 0, 0);
        byte[] tooLong = packet(4, 1401, 0);
        device.write(tooLong, 0, tooLong.length);
        assertEquals(3, device.droppedWrites());
        device.setUp(false);
        byte[] ok = packet(4, 100, 0);
        device.write(ok, 0, ok.length);
        kernel.write(ok, 0, ok.length);
        assertEquals(4, device.droppedWrites());
        assertEquals(1, kernel.droppedWrites());
        byte[] in = new byte[1500];
        assertEquals(-1, kernel.read(in, 0, in.length, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> device.write(ok, 50, 100));
    }

    @Test
    void aFullQueueDropsWhatDoesNotFit() throws Exception {
        MemoryTunDevice.Pair small = MemoryTunDevice.pair("tun1", 1400, MemoryTunDevice.MIN_QUEUE_BYTES);
        byte[] p = packet(4, 1400, 0);
        int fits = 0;
        for (int i = 0; i < 200; i++) {
            small.device().write(p, 0, p.length);
        }
        byte[] in = new byte[1500];
        while (small.kernel().read(in, 0, in.length, 0) > 0) {
            fits++;
        }
        assertTrue(fits > 40 && fits < 200, fits + " packets fitted");
        assertEquals(200 - fits, small.device().droppedWrites());
    }

    @Test
    void closeWakesAWaitingReaderAndEndsBothEnds() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        device.onClose(closed::incrementAndGet);
        byte[] in = new byte[1500];
        CompletableFuture<Throwable> read = CompletableFuture.supplyAsync(() -> {
            try {
                device.read(in, 0, in.length, 30_000);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(100);
        long start = System.nanoTime();
        kernel.close();
        kernel.close();
        assertTrue(read.get(5, TimeUnit.SECONDS) instanceof ClosedChannelException);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "woke at once");
        assertEquals(1, closed.get());
        assertFalse(device.isOpen());
        byte[] p = packet(4, 100, 0);
        assertThrows(ClosedChannelException.class, () -> device.write(p, 0, p.length));
        assertThrows(ClosedChannelException.class, () -> kernel.read(in, 0, in.length, 0));
        assertThrows(ClosedChannelException.class, () -> device.configure(new TunSettings(1400, List.of())));
        device.onClose(closed::incrementAndGet);
        assertEquals(2, closed.get(), "an action given after close runs at once");
    }

    @Test
    void configureSetsMtuAddressesAndLinkForBothEnds() throws Exception {
        device.setUp(false);
        TunSettings s = new TunSettings(1280, List.of(IpPrefix.parse("10.210.0.2/24"), IpPrefix.parse("fd00:210::2/64")));
        device.configure(s);
        assertEquals(1280, kernel.mtu());
        assertEquals(s, kernel.settings());
        assertTrue(kernel.isUp());
        byte[] p = packet(6, 1281, 0);
        kernel.write(p, 0, p.length);
        assertEquals(1, kernel.droppedWrites(), "longer than the new MTU");
    }

    @Test
    void namesFollowTheKernelsRules() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("tunnel-to-the-office", 1400));
        assertTrue(e.getMessage().contains("use 1..15 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("", 1400));
        e = assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("tun/0", 1400));
        assertTrue(e.getMessage().contains("no '/'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("tun 0", 1400));
        e = assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("tun0", 100));
        assertTrue(e.getMessage().contains("576..65535"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MemoryTunDevice.pair("tun0", 1400, 1000));
        assertTrue(e.getMessage().contains("queue size"), e.getMessage());
        assertEquals("tun0123456789ab", MemoryTunDevice.pair("tun0123456789ab", 1400).device().name());
    }

    @Test
    void oneWriterAndOneReaderThreadMoveEveryPacketInOrder() throws Exception {
        int count = 200_000;
        Thread writer = new Thread(() -> {
            byte[] p = packet(4, 64, 0);
            for (int i = 0; i < count; i++) {
                putInt(p, 4, i);
                long dropped = kernel.droppedWrites();
                try {
                    kernel.write(p, 0, p.length);
                    while (kernel.droppedWrites() != dropped) { // queue full: give the reader time, send again
                        dropped = kernel.droppedWrites();
                        Thread.onSpinWait();
                        kernel.write(p, 0, p.length);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "test-writer");
        writer.start();
        byte[] in = new byte[1500];
        for (int i = 0; i < count; i++) {
            assertEquals(64, device.read(in, 0, in.length, 5000), "packet " + i);
            assertEquals(i, getInt(in, 4));
        }
        writer.join(5000);
    }

    @Test
    void readAndWriteAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] p = packet(4, 1400, 0);
        byte[] in = new byte[1500];
        for (int i = 0; i < 20_000; i++) {
            roundTrip(p, in);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            roundTrip(p, in);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1024, allocated + " bytes allocated for 100k packets each way");
    }

    private void roundTrip(byte[] p, byte[] in) throws Exception {
        device.write(p, 0, p.length);
        kernel.read(in, 0, in.length, 1000);
        kernel.write(p, 0, p.length);
        device.read(in, 0, in.length, 1000);
    }

    static byte[] packet(int version, int length, int seed) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) (seed * 31 + i);
        }
        if (length > 0) {
            p[0] = (byte) (version << 4 | 5);
        }
        return p;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}

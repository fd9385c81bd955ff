package org.minivpn.net.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Runs of datagrams through a real loopback socket, with offload where the kernel has it. */
class SegmentBatchTest {

    private static final System.Logger LOG = System.getLogger("org.minivpn.net.udp.test");
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void datagramsLeaveOneByOneInTheOrderTheyWereAddedWhateverTheRunBoundaries() throws Exception {
        try (UdpChannel receiver = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG);
                UdpChannel sender = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG)) {
            InetSocketAddress to = receiver.localAddress();
            AtomicInteger dropped = new AtomicInteger();
            SegmentBatch batch = new SegmentBatch(sender, dropped::addAndGet);
            Object alice = new Object();
            Object bob = new Object();
            // equal ones, a shorter one that ends the run, a longer one, another peer's, then a flush
            int[] sizes = {100, 100, 100, 60, 100, 200, 200, 50};
            Object[] peers = {alice, alice, alice, alice, alice, alice, bob, bob};
            for (int i = 0; i < sizes.length; i++) {
                int at = batch.reserve(peers[i], to, sizes[i]);
                Arrays.fill(batch.buffer(), at, at + sizes[i], (byte) i);
                batch.commit(sizes[i]);
            }
            batch.send(alice); // bob's are held: nothing happens
            batch.send(bob);
            ByteBuffer in = ByteBuffer.allocate(2048);
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                in.clear();
                assertNotNull(receiver.receive(in, 3000), "datagram " + i + " arrived");
                got.add(Arrays.copyOf(in.array(), in.position()));
            }
            for (int i = 0; i < sizes.length; i++) {
                byte[] expected = new byte[sizes[i]];
                Arrays.fill(expected, (byte) i);
                assertArrayEquals(expected, got.get(i), "datagram " + i + " whole and in order");
            }
            assertEquals(0, dropped.get());
        }
    }

    @Test
    void aFullRunIsSentBeforeTheNextDatagramJoins() throws Exception {
        try (UdpChannel receiver = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG);
                UdpChannel sender = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG)) {
            SegmentBatch batch = new SegmentBatch(sender, n -> { });
            Object peer = new Object();
            for (int i = 0; i <= SegmentBatch.MAX_SEGMENTS; i++) {
                int at = batch.reserve(peer, receiver.localAddress(), 10);
                batch.buffer()[at] = (byte) i;
                batch.commit(10);
            }
            ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < SegmentBatch.MAX_SEGMENTS; i++) {
                in.clear();
                assertNotNull(receiver.receive(in, 3000), "the full run went out by itself: datagram " + i);
                assertEquals(10, in.position());
                assertEquals((byte) i, in.get(0));
            }
            in.clear();
            assertEquals(null, receiver.receive(in, 200), "the 65th is still held");
        }
    }

    @Test
    void aClosedPortCountsTheRunAsDroppedWithoutThrowing() throws Exception {
        InetSocketAddress closed;
        try (UdpChannel gone = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG)) {
            closed = gone.localAddress();
        }
        try (UdpChannel sender = UdpChannel.connect(closed, 0, LOG)) {
            AtomicInteger dropped = new AtomicInteger();
            SegmentBatch batch = new SegmentBatch(sender, dropped::addAndGet);
            for (int round = 0; round < 20 && dropped.get() == 0; round++) {
                for (int i = 0; i < 3; i++) {
                    batch.reserve(this, null, 10);
                    batch.commit(10);
                }
                batch.send();
                Thread.sleep(20); // the ICMP port unreachable comes back asynchronously
            }
            assertTrue(dropped.get() >= 3 && dropped.get() % 3 == 0, "whole runs counted as dropped: " + dropped.get());
        }
    }

    @Test
    void sendingRunsAllocatesNothing() throws Exception {
        try (UdpChannel receiver = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG);
                UdpChannel sender = UdpChannel.bind(new InetSocketAddress(LOOPBACK, 0), LOG)) {
            InetSocketAddress to = receiver.localAddress();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong received = new AtomicLong();
            Thread drain = new Thread(() -> {
                ByteBuffer in = ByteBuffer.allocate(65536);
                try {
                    while (!stop.get()) {
                        in.clear();
                        if (receiver.receive(in, 100) != null) {
                            received.incrementAndGet();
                        }
                    }
                } catch (java.io.IOException e) {
                    // closed: the test is over
                }
            }, "segment-batch-test-rx");
            drain.setDaemon(true);
            drain.start();
            AtomicLong dropped = new AtomicLong();
            SegmentBatch batch = new SegmentBatch(sender, dropped::addAndGet);
            Object peer = new Object();
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            int datagrams = 100_000;
            for (int round = 0; round < 2; round++) { // the first warms up
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < datagrams; i++) {
                    batch.reserve(peer, to, 1400);
                    batch.commit(1400);
                    if (i % 16 == 15) {
                        batch.send(peer);
                    }
                }
                batch.send();
                long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                if (round == 1) {
                    System.out.printf("SegmentBatch: %d B for %d datagrams (offload %s), %d dropped%n", allocated,
                            datagrams, sender.offloads(), dropped.get());
                    assertTrue(allocated < datagrams / 10, "sending allocates " + allocated + " B for " + datagrams);
                }
            }
            stop.set(true);
            drain.join(2000);
            assertTrue(received.get() > 0);
        }
    }
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * A RuntimeException with one packet or one tick is counted and logged, and relaying goes on; while
 * the loop sleeps, another thread relays what waits ({@link TunLoop#drain}).
 */
class TunLoopTest {

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger log = Logger.getLogger(TunLoop.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private TunLoop loop;

    @BeforeEach
    void listen() {
        log.addHandler(capture);
    }

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.stop();
        }
        log.removeHandler(capture);
    }

    /** Relays packets into a list, except "poison" ones, on which it throws as a bug would. */
    private static final class Fragile implements TunLoop.Owner {
        final List<String> relayed = new CopyOnWriteArrayList<>();
        final AtomicInteger ticks = new AtomicInteger();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile CountDownLatch hold; // when set, fromTun waits for it
        volatile boolean tickFails;

        @Override
        public void fromTun(byte[] buf, int n) {
            String text = new String(buf, 20, n - 20, StandardCharsets.UTF_8);
            if (text.startsWith("poison")) {
                throw new IllegalStateException("cannot relay " + text);
            }
            relayed.add(text);
            threads.add(Thread.currentThread().getName());
            CountDownLatch h = hold;
            if (h != null) {
                try {
                    h.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void tick(long nowNanos) {
            ticks.incrementAndGet();
            if (tickFails) {
                throw new ArrayIndexOutOfBoundsException("tick");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void tunGone() {
        }
    }

    private static void write(MemoryTunDevice kernel, String text) throws Exception {
        byte[] p = Packets.ipv4("10.7.0.2", "198.51.100.7", text);
        kernel.write(p, 0, p.length);
    }

    @Test
    void aFailingPacketIsCountedLoggedOnceWithItsTraceAndTheNextOnesAreRelayed() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tl0", 1400);
        Fragile owner = new Fragile();
        loop = new TunLoop(tun.device(), owner);
        loop.start();
        write(tun.kernel(), "before");
        for (int i = 0; i < 50; i++) {
            write(tun.kernel(), "poison " + i);
        }
        write(tun.kernel(), "after");
        waitFor(() -> owner.relayed.contains("after"), "the packet after the failures is relayed");
        assertEquals(List.of("before", "after"), owner.relayed);
        assertEquals(50, loop.failures());
        assertEquals(1, logged.size(), "one line for 50 failures within a minute: " + logged.size());
        LogRecord first = logged.get(0);
        assertNotNull(first.getThrown(), "the first failure is logged with its stack trace");
        assertTrue(first.getMessage().contains("relay-tl0-tx: unexpected failure while relaying a packet from tl0;"
                + " relaying continues"), first.getMessage());
    }

    @Test
    void laterFailuresAreSummarisedAtMostOncePerInterval() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tl1", 1400);
        Fragile owner = new Fragile();
        loop = new TunLoop(tun.device(), owner, Duration.ofSeconds(1));
        loop.start();
        write(tun.kernel(), "poison first");
        waitFor(() -> loop.failures() == 1, "the first failure is counted");
        Thread.sleep(1100);
        write(tun.kernel(), "poison second");
        write(tun.kernel(), "poison third");
        write(tun.kernel(), "after");
        waitFor(() -> owner.relayed.contains("after"), "relaying goes on");
        assertEquals(3, loop.failures());
        assertEquals(2, logged.size(), "the first line, and one summary for the next two within a second");
        LogRecord summary = logged.get(1);
        assertNull(summary.getThrown(), "the trace is logged once");
        assertTrue(summary.getMessage().contains("1 more unexpected failure(s), 2 in all"), summary.getMessage());
    }

    @Test
    void aFailingTickNeitherStopsTheLoopNorThePackets() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tl2", 1400);
        Fragile owner = new Fragile();
        owner.tickFails = true;
        loop = new TunLoop(tun.device(), owner);
        loop.start();
        int ticks = owner.ticks.get();
        waitFor(() -> owner.ticks.get() >= ticks + 3, "ticks go on after failing");
        write(tun.kernel(), "through");
        waitFor(() -> owner.relayed.contains("through"), "packets go on");
        assertTrue(loop.failures() >= 3, "each failed tick is counted: " + loop.failures());
    }

    /** A device whose waits always last their whole timeout: a relay thread the kernel wakes late. */
    private record Drowsy(TunDevice device) implements TunDevice {
        @Override
        public String name() {
            return device.name();
        }

        @Override
        public int mtu() {
            return device.mtu();
        }

        @Override
        public int read(byte[] buf, int off, int len, int timeoutMillis) throws java.io.IOException {
            return device.read(buf, off, len, timeoutMillis);
        }

        @Override
        public boolean awaitReadable(int timeoutMillis) {
            try {
                Thread.sleep(timeoutMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            device.write(buf, off, len);
        }

        @Override
        public void configure(TunSettings settings) throws java.io.IOException {
            device.configure(settings);
        }
    }

    @Test
    void whileTheLoopSleepsAnotherThreadRelaysWhatWaitsInOrder() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tl3", 1400);
        Fragile owner = new Fragile();
        loop = new TunLoop(new Drowsy(tun.device()), owner);
        loop.start();
        waitFor(loop::sleeping, "the loop waits for the device");
        for (int i = 0; i < 100; i++) {
            write(tun.kernel(), "reply " + i);
        }
        loop.drain();
        assertEquals(100, owner.relayed.size(), "all waiting packets relayed by the drain, before the loop wakes");
        for (int i = 0; i < 100; i++) {
            assertEquals("reply " + i, owner.relayed.get(i));
        }
        assertTrue(owner.threads.stream().allMatch(t -> t.equals(Thread.currentThread().getName())),
                "relayed on the draining thread: " + owner.threads.get(0));
    }

    @Test
    void aDrainWhileTheLoopRelaysReturnsAtOnceAndLeavesThePacketsToIt() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tl4", 1400);
        Fragile owner = new Fragile();
        CountDownLatch release = new CountDownLatch(1);
        owner.hold = release;
        loop = new TunLoop(tun.device(), owner);
        loop.start();
        write(tun.kernel(), "first");
        waitFor(() -> owner.relayed.size() == 1, "the loop is inside fromTun");
        write(tun.kernel(), "second");
        long start = System.nanoTime();
        loop.drain();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the drain did not wait for the loop");
        assertEquals(List.of("first"), owner.relayed, "the drain took nothing while the loop holds the device");
        owner.hold = null;
        release.countDown();
        waitFor(() -> owner.relayed.size() == 2, "the loop relays the next one");
        assertEquals(List.of("relay-tl4-tx", "relay-tl4-tx"), owner.threads);
    }
}

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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.tun.memory.MemoryTunDevice;

/** A RuntimeException with one packet or one tick is counted and logged, and relaying goes on. */
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
        volatile boolean tickFails;

        @Override
        public void fromTun(byte[] buf, int n) {
            String text = new String(buf, 20, n - 20, StandardCharsets.UTF_8);
            if (text.startsWith("poison")) {
                throw new IllegalStateException("cannot relay " + text);
            }
            relayed.add(text);
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
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.testsupport.Allocations;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * The per-packet paths of both relays allocate nothing: 100k packets each way through the
 * server's and the client's hot paths, measured with the thread's allocation counter as {@link
 * Allocations} does (a warm-up of as many packets, then the least of {@value #SAMPLES} samples).
 */
class AllocationTest {

    private static final int PACKETS = 100_000;
    private static final int SAMPLES = 3;
    /** Every round run, warm-up included. */
    private static final long ROUNDS = (1L + SAMPLES) * PACKETS;
    /**
     * The margin: 16 KiB over 100k packets, 0.16 B per packet. What is made once (a cache on first
     * use) fits; one object per packet (16 B at least, 1.6 MB in all) is a hundred times over.
     */
    private static final long BOUND = 16 * 1024;

    /** A session that counts what it is given and answers a hello with a configuration. */
    private static final class CountingSession extends StubSession {
        SessionHandler handler;
        long sent;

        CountingSession() {
            super("bench", 1);
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            sent++;
            if (buf[off] == Wire.HELLO && handler != null) {
                byte[] config = Wire.config(List.of(Map.entry("address", "10.7.0.2/24"), Map.entry("mtu", "1400")));
                handler.received(this, config, 0, config.length);
            }
        }
    }

    @Test
    void theServerRelaysWithoutAllocating() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tun0", 1400);
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 0, IpPrefix.parse("10.7.0.0/24"), null,
                1400, List.of(), true, Map.of(), null, Duration.ofSeconds(10), Duration.ofSeconds(60), false,
                Duration.ofSeconds(60), Duration.ofSeconds(180));
        ServerEngine engine = new ServerEngine(tun.device(), List.of(), null, s);
        CountingSession session = new CountingSession();
        engine.opened(session);
        byte[] hello = Wire.hello();
        engine.received(session, hello, 0, hello.length);

        byte[] up = Packets.ipv4("10.7.0.2", "198.51.100.7", "x".repeat(1300));
        byte[] down = Packets.ipv4("198.51.100.7", "10.7.0.2", "y".repeat(1300));
        byte[] drain = new byte[2048];
        MemoryTunDevice kernel = tun.kernel();
        Runnable round = () -> {
            try {
                engine.received(session, up, 0, up.length);
                kernel.read(drain, 0, drain.length, 0);
                engine.toClient(down, down.length);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };
        long bytes = allocatedAround(round);
        assertEquals(ROUNDS + 1, session.sent, "every packet reached the session");
        assertTrue(bytes < BOUND, "allocated " + bytes + " bytes for " + PACKETS + " packets each way");
    }

    @Test
    void theClientRelaysWithoutAllocating() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tun0", 1400);
        CountingSession session = new CountingSession();
        ClientEngine engine = connectedClient(tun, session);
        try {
            assertEquals(ClientState.CONNECTED, engine.state());
            byte[] up = Packets.ipv4("10.7.0.2", "198.51.100.7", "x".repeat(1300));
            byte[] down = Packets.ipv4("198.51.100.7", "10.7.0.2", "y".repeat(1300));
            byte[] drain = new byte[2048];
            MemoryTunDevice kernel = tun.kernel();
            long before = session.sent;
            long bytes = allocatedAround(() -> {
                try {
                    engine.toServer(up, up.length);
                    engine.received(session, down, 0, down.length);
                    kernel.read(drain, 0, drain.length, 0);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertTrue(session.sent - before >= PACKETS, "every packet reached the session");
            assertEquals(ROUNDS, engine.traffic().packetsIn(), "warm-up and measured rounds all arrived");
            assertTrue(bytes < BOUND, "allocated " + bytes + " bytes for " + PACKETS + " packets each way");
        } finally {
            engine.close();
        }
    }

    @Test
    void theClientDropsAndAnswersIpv6WithoutAllocatingWhenItsTunnelHasNone() throws Exception {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tun0", 1400);
        CountingSession session = new CountingSession();
        ClientEngine engine = connectedClient(tun, session);
        try {
            byte[] up = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "x".repeat(1300));
            byte[] drain = new byte[2048];
            MemoryTunDevice kernel = tun.kernel();
            long before = session.sent;
            long bytes = allocatedAround(() -> {
                try {
                    engine.toServer(up, up.length);
                    kernel.read(drain, 0, drain.length, 0);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(before, session.sent, "no IPv6 packet reached the session");
            assertEquals(ROUNDS, engine.status().ipv6Dropped());
            assertTrue(bytes < BOUND, "allocated " + bytes + " bytes for " + PACKETS + " packets");
        } finally {
            engine.close();
        }
    }

    /** Bytes the current thread allocates over PACKETS rounds in steady state. */
    private static long allocatedAround(Runnable round) throws Exception {
        return Math.round(Allocations.perCall(PACKETS, PACKETS, SAMPLES, i -> round.run()) * PACKETS);
    }

    /** A client engine on {@code tun} whose transport hands out {@code session}, connected. */
    private static ClientEngine connectedClient(MemoryTunDevice.Pair tun, CountingSession session) throws IOException {
        Transport transport = new Transport() {
            @Override
            public String type() {
                return "counting";
            }

            @Override
            public Session connect(InetSocketAddress server, String name, SessionHandler handler, Duration timeout) {
                session.handler = handler;
                return session;
            }

            @Override
            public TransportServer listen(InetSocketAddress bind, SessionHandler handler) {
                throw new UnsupportedOperationException();
            }
        };
        ClientSettings settings = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(1), false,
                Duration.ofSeconds(180));
        ClientEngine engine = new ClientEngine(tun.device(), () -> transport, null, settings,
                new InetSocketAddress("127.0.0.1", 23232), "bench", (f, t, r) -> { });
        engine.connect();
        return engine;
    }
}

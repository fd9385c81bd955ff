package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * Make-before-break: a client moves its tunnel to a new session (a rekey, another transport) while
 * packets flow; the server lets the new session of the same identity replace the old one at the same
 * address, and nothing reconnects.
 */
class SessionMoveTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private record Ends(ServerEngine server, MemoryTunDevice serverKernel, ClientEngine client, MemoryTunDevice clientKernel) {
    }

    private Ends connect(Rekey.Limits rekey) throws IOException {
        MemoryTunDevice.Pair st = MemoryTunDevice.pair("tun0", 1400);
        ServerSettings ss = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse("10.7.0.0/24"),
                null, 1400, List.of(), false, java.util.Map.of(), null, Duration.ofSeconds(10), Duration.ofSeconds(60), false,
                Duration.ofSeconds(60), Duration.ofSeconds(180));
        ServerEngine server = new ServerEngine(st.device(), transport, null, ss);
        server.start();
        open.add(server);
        MemoryTunDevice.Pair ct = MemoryTunDevice.pair("c-alice", 1400);
        ClientSettings cs = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2), false,
                Duration.ofSeconds(180)).withRekey(rekey);
        ClientEngine client = new ClientEngine(ct.device(), () -> transport.as("alice"), null, cs, SERVER, "127.0.0.1:23232",
                (from, to, reason) -> changes.add(to + ": " + reason));
        open.add(client);
        client.connect();
        return new Ends(server, st.kernel(), client, ct.kernel());
    }

    /** Writes a packet to the client's TUN every {@code millis} ms; counts them. */
    private AtomicInteger pinging(Ends e, int millis) {
        AtomicInteger sent = new AtomicInteger();
        Thread t = new Thread(() -> {
            byte[] p = Packets.ipv4("10.7.0.2", "198.51.100.7", "data");
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    e.clientKernel().write(p, 0, p.length);
                    sent.incrementAndGet();
                    Thread.sleep(millis);
                } catch (Exception x) {
                    return;
                }
            }
        }, "pinging");
        t.setDaemon(true);
        t.start();
        open.add(t::interrupt);
        return sent;
    }

    /** Counts the packets that reach the server's TUN. */
    private AtomicLong arriving(Ends e) {
        AtomicLong n = new AtomicLong();
        Thread t = new Thread(() -> {
            byte[] b = new byte[2000];
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    if (e.serverKernel().read(b, 0, b.length, 50) > 0) {
                        n.incrementAndGet();
                    }
                } catch (IOException x) {
                    return;
                }
            }
        }, "arriving");
        t.setDaemon(true);
        t.start();
        open.add(t::interrupt);
        return n;
    }

    private static SessionInfo only(ServerEngine s) {
        List<SessionInfo> all = s.sessions();
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    @Test
    void aRekeyAfterItsRecordLimitMovesTheTunnelWithoutAReconnectOrANewAddress() throws Exception {
        Ends e = connect(new Rekey.Limits(100, Duration.ZERO));
        AtomicLong arrived = arriving(e);
        Instant keyed = e.client().status().keyedAt();
        SessionInfo before = only(e.server());
        AtomicInteger sent = pinging(e, 5);
        waitFor(() -> !keyed.equals(e.client().status().keyedAt()), "a rekey after 100 records");
        int sentThen = sent.get();
        waitFor(() -> sent.get() > sentThen + 40, "traffic after the rekey");
        SessionInfo after = only(e.server());
        assertNotEquals(before.remote(), after.remote(), "a new session");
        assertEquals(before.tunnelAddresses(), after.tunnelAddresses(), "at the same address");
        assertEquals(ClientState.CONNECTED, e.client().state());
        assertEquals(0, e.client().status().reconnects(), changes.toString());
        assertTrue(changes.stream().noneMatch(c -> c.startsWith("RECONNECTING")), changes.toString());
        int total = sent.get();
        waitFor(() -> arrived.get() >= total - 2, "every packet but at most 2 of the move arrives: " + arrived + " of " + total);
    }

    @Test
    void aTransportChangeMovesTheTunnelMakeBeforeBreak() throws Exception {
        Ends e = connect(Rekey.Limits.DEFAULT);
        AtomicLong arrived = arriving(e);
        AtomicInteger sent = pinging(e, 20);
        waitFor(() -> sent.get() > 10, "traffic");
        SessionInfo before = only(e.server());
        e.client().reconnect("a higher-ranked transport appeared");
        waitFor(() -> !only(e.server()).remote().equals(before.remote()), "the move");
        int sentThen = sent.get();
        waitFor(() -> sent.get() > sentThen + 10, "traffic after the move");
        assertEquals(before.tunnelAddresses(), only(e.server()).tunnelAddresses());
        assertEquals(0, e.client().status().reconnects(), changes.toString());
        int total = sent.get();
        waitFor(() -> arrived.get() >= total - 2, "at most 2 packets lost in the move: " + arrived + " of " + total);
    }

    @Test
    void aCryptoBackendChangeReachesTheRunningTunnel() throws Exception {
        transport.backend = "jca";
        Ends e = connect(Rekey.Limits.DEFAULT);
        assertEquals("jca", e.client().status().cryptoBackend());
        SessionInfo before = only(e.server());
        transport.backend = "bc"; // e.g. backend.target=(crypto.backend=bc) on the transport
        waitFor(() -> "bc".equals(e.client().status().cryptoBackend()), "the session moves onto the new backend");
        assertEquals(before.tunnelAddresses(), only(e.server()).tunnelAddresses());
        assertEquals(0, e.client().status().reconnects(), changes.toString());
    }

    @Test
    void aTunDeviceThatComesBackAsANewServiceCarriesTheSameSession() throws Exception {
        Ends e = connect(Rekey.Limits.DEFAULT);
        AtomicLong arrived = arriving(e);
        SessionInfo before = only(e.server());
        MemoryTunDevice old = e.clientKernel().peer();
        old.close(); // the tun.linux bundle stops: its device goes
        e.client().detach(old);
        MemoryTunDevice.Pair again = MemoryTunDevice.pair("c-alice", 1400); // and comes back, a new service
        e.client().attach(again.device());
        assertEquals(List.of(IpPrefix.parse("10.7.0.2/24")), again.device().settings().addresses(), "addresses set again");
        byte[] p = Packets.ipv4("10.7.0.2", "198.51.100.7", "through the new device");
        long then = arrived.get();
        again.kernel().write(p, 0, p.length);
        waitFor(() -> arrived.get() > then, "a packet through the new device reaches the server");
        assertEquals(before.remote(), only(e.server()).remote(), "the same session");
        assertEquals(ClientState.CONNECTED, e.client().state());
        assertEquals(0, e.client().status().reconnects(), changes.toString());
    }

    @Test
    void aServerTunDeviceThatComesBackAsANewServiceKeepsEverySession() throws Exception {
        Ends e = connect(Rekey.Limits.DEFAULT);
        SessionInfo before = only(e.server());
        MemoryTunDevice old = e.serverKernel().peer();
        old.close();
        e.server().detach(old);
        MemoryTunDevice.Pair again = MemoryTunDevice.pair("tun0", 1400);
        e.server().attach(again.device());
        assertEquals(List.of(IpPrefix.parse("10.7.0.1/24")), again.device().settings().addresses(), "addresses set again");
        byte[] p = Packets.ipv4("10.7.0.2", "198.51.100.7", "to the new server device");
        e.clientKernel().write(p, 0, p.length);
        assertEquals("to the new server device", Packets.readText(again.kernel(), 2000));
        byte[] back = Packets.ipv4("198.51.100.7", "10.7.0.2", "and back");
        again.kernel().write(back, 0, back.length);
        assertEquals("and back", Packets.readText(e.clientKernel(), 2000));
        assertEquals(before.remote(), only(e.server()).remote(), "the same session");
        assertEquals(0, e.client().status().reconnects(), changes.toString());
    }

    @Test
    void aMoveThatCannotConnectKeepsTheSessionInUse() throws Exception {
        Ends e = connect(Rekey.Limits.DEFAULT);
        SessionInfo before = only(e.server());
        transport.refuseNew = true;
        e.client().reconnect("try another transport");
        Thread.sleep(500);
        assertEquals(before.remote(), only(e.server()).remote());
        assertEquals(ClientState.CONNECTED, e.client().state());
        assertEquals(0, e.client().status().reconnects());
    }
}

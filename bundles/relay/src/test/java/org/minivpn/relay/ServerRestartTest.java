package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * A server that crashes (it goes silent, says no goodbye) and comes back with an empty memory: its
 * clients find it dead within seconds of sending data, retry at a short pace meanwhile, and get
 * their addresses back by asking for them. And the rules by which an asked-for address is granted.
 */
class ServerRestartTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> reasons = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** A server whose own keepalive (10 s) and timeout (60 s) are far too slow to explain a quick recovery. */
    private ServerEngine server(Map<String, String> statics) throws IOException {
        return server(statics, null);
    }

    private ServerEngine server(Map<String, String> statics, java.nio.file.Path leases) throws IOException {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("tun0", 1400);
        Map<String, java.net.InetAddress> st = new java.util.HashMap<>();
        statics.forEach((k, v) -> st.put(k, IpPrefix.parseAddress(v)));
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse("10.7.0.0/24"),
                null, 1400, List.of(), false, st, null, Duration.ofSeconds(10), Duration.ofSeconds(60), false,
                Duration.ofSeconds(60), Duration.ofSeconds(180)).withLeases(leases);
        ServerEngine e = new ServerEngine(tun.device(), transport, null, s);
        e.start();
        open.add(e);
        return e;
    }

    private record Client(ClientEngine engine, MemoryTunDevice kernel) {
    }

    private Client client(String identity, Supplier<Transport> transports) throws IOException {
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("c-" + identity, 1400);
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2), false,
                Duration.ofSeconds(180));
        ClientEngine e = new ClientEngine(tun.device(), transports, null, s, SERVER, "127.0.0.1:23232",
                (from, to, reason) -> reasons.add(identity + ":" + to + ":" + reason));
        open.add(e);
        e.connect();
        return new Client(e, tun.kernel());
    }

    private static IpPrefix address(Client c) {
        return c.engine.status().tunnelAddresses().get(0);
    }

    /** Writes a packet to the client's TUN every 100 ms, as an application that keeps trying would. */
    private Thread traffic(Client c, String src) {
        Thread t = new Thread(() -> {
            byte[] p = Packets.ipv4(src, "198.51.100.7", "data");
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    c.kernel.write(p, 0, p.length);
                    Thread.sleep(100);
                } catch (Exception e) {
                    return;
                }
            }
        }, "traffic-" + src);
        t.setDaemon(true);
        t.start();
        open.add(t::interrupt);
        return t;
    }

    @Test
    void aRestartedServerGetsItsClientsBackWithinSecondsAtTheirOldAddresses() throws Exception {
        ServerEngine first = server(Map.of());
        AtomicInteger aliceTries = new AtomicInteger();
        AtomicInteger aliceHeldBack = new AtomicInteger(1); // 1: alice's reconnects find no transport
        Client alice = client("alice", () -> {
            aliceTries.incrementAndGet();
            return aliceHeldBack.get() == 1 && aliceTries.get() > 1 ? null : transport.as("alice");
        });
        Client bob = client("bob", () -> transport.as("bob"));
        assertEquals(IpPrefix.parse("10.7.0.2/24"), address(alice));
        assertEquals(IpPrefix.parse("10.7.0.3/24"), address(bob));

        transport.partitioned = true; // the server crashes: nothing it had reaches anyone, no goodbye
        first.close();
        open.remove(first);
        long crash = System.nanoTime();
        traffic(alice, "10.7.0.2");
        traffic(bob, "10.7.0.3");
        waitFor(() -> reasons.stream().anyMatch(r -> r.startsWith("bob:RECONNECTING")), "bob finds its server dead");
        long detectedMillis = (System.nanoTime() - crash) / 1_000_000;
        assertTrue(detectedMillis < 8000, "found dead after " + detectedMillis + " ms (about 3.5 s expected)");
        assertTrue(reasons.stream().anyMatch(r -> r.startsWith("bob:RECONNECTING") && r.contains("dead peer")), reasons.toString());
        assertEquals(List.of(IpPrefix.parse("10.7.0.3/24")), bob.engine.status().tunnelAddresses(), "the TUN keeps its address");

        int before = aliceTries.get();
        Thread.sleep(6000); // the server is away: the clients retry at a short pace, without hammering it
        int tries = aliceTries.get() - before;
        assertTrue(tries >= 2 && tries <= 10, tries + " tries in 6 s (about 1 every 2 s expected)");

        server(Map.of()); // back, knowing nobody
        transport.partitioned = false;
        long back = System.nanoTime();
        waitFor(() -> bob.engine.state() == ClientState.CONNECTED, "bob is back");
        long backMillis = (System.nanoTime() - back) / 1_000_000;
        assertTrue(backMillis < 8000, "bob's tunnel back " + backMillis + " ms after the server (about 2 s expected)");
        assertEquals(IpPrefix.parse("10.7.0.3/24"), address(bob), "bob asked for its address and got it, though"
                + " 10.7.0.2 is the lowest free one");
        aliceHeldBack.set(0);
        waitFor(() -> alice.engine.state() == ClientState.CONNECTED, "alice is back");
        assertEquals(IpPrefix.parse("10.7.0.2/24"), address(alice));
        Thread.sleep(2000); // each back once, for good: neither session replaces or drops the other
        assertEquals(1, alice.engine.status().reconnects(), reasons.toString());
        assertEquals(1, bob.engine.status().reconnects(), reasons.toString());
        assertEquals(ClientState.CONNECTED, bob.engine.state());
        assertTrue(reasons.stream().anyMatch(r -> r.startsWith("bob:CONNECTED:reconnected after") && r.contains("same address")),
                reasons.toString());
    }

    @Test
    void aDisconnectIsNoLossToReconnectFrom() throws Exception {
        ServerEngine s = server(Map.of());
        Client c = client("leaving", () -> transport.as("leaving"));
        c.engine.close(); // says GOODBYE; the server closes its end at once, which the client hears
        Thread.sleep(1000);
        assertEquals(ClientState.DISCONNECTED, c.engine.state());
        assertTrue(reasons.stream().noneMatch(r -> r.contains("RECONNECTING")), reasons.toString());
        assertEquals(List.of(), s.sessions(), "no session came back");
    }

    @Test
    void anIdleClientIsNotDeclaredDeadByProbing() throws Exception {
        server(Map.of());
        Client c = client("idle", () -> transport.as("idle"));
        transport.partitioned = true;
        Thread.sleep(5000);
        assertEquals(ClientState.CONNECTED, c.engine.state(), "no data sent: only the 60 s timeout applies");
    }

    @Test
    void aLiveServerThatAnswersOnlyTheProbesKeepsTheSession() throws Exception {
        server(Map.of());
        Client c = client("streamer", () -> transport.as("streamer"));
        traffic(c, "10.7.0.2"); // the server's TUN answers none of it; only the PONGs come back
        Thread.sleep(6000);
        assertEquals(ClientState.CONNECTED, c.engine.state());
        assertEquals(0, c.engine.status().reconnects());
    }

    /** The loopback transport, but its first {@code failures} connects fail with {@code failure}. */
    private Transport failing(int failures, IOException failure, AtomicInteger tries) {
        return new Transport() {
            @Override
            public String type() {
                return "loop";
            }

            @Override
            public Session connect(InetSocketAddress to, String name, SessionHandler h, Duration timeout) throws IOException {
                if (tries.incrementAndGet() <= failures) {
                    throw failure;
                }
                return transport.connect(to, name, h, timeout);
            }

            @Override
            public org.minivpn.api.transport.TransportServer listen(InetSocketAddress bind, SessionHandler h) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private ClientEngine connecting(Transport t) {
        transport.clientIdentity = "lossy";
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("c-lossy", 1400);
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2), false,
                Duration.ofSeconds(180), DeadPeer.DEFAULT, Duration.ofSeconds(20));
        ClientEngine e = new ClientEngine(tun.device(), () -> t, null, s, SERVER, "127.0.0.1:23232", (f, to, r) -> { });
        open.add(e);
        return e;
    }

    @Test
    void aFirstConnectTriesAgainWhileHandshakesTimeOutButNotAfterARefusal() throws Exception {
        server(Map.of());
        AtomicInteger tries = new AtomicInteger();
        ClientEngine lossy = connecting(failing(2, new java.net.SocketTimeoutException("no DTLS handshake within 2000 ms"), tries));
        lossy.connect();
        assertEquals(ClientState.CONNECTED, lossy.state());
        assertEquals(3, tries.get(), "two timed out tries, then the one that made it");

        AtomicInteger refused = new AtomicInteger();
        ClientEngine wrongCa = connecting(failing(5, new IOException("the server at 127.0.0.1:23232 refused this client"),
                refused));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, wrongCa::connect);
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertEquals(1, refused.get(), "a refusal is not tried again");
    }

    /** A raw session that sends one HELLO and returns the address of the CONFIG (or null on GOODBYE). */
    private String ask(String identity, String requested) throws Exception {
        transport.clientIdentity = identity;
        CompletableFuture<String> answer = new CompletableFuture<>();
        Session s = transport.connect(SERVER, null, new SessionHandler() {
            @Override
            public void received(Session session, byte[] buf, int off, int len) {
                if (buf[off] == Wire.CONFIG) {
                    answer.complete(Wire.parseConfig(buf, off, len).get("address").get(0));
                } else if (buf[off] == Wire.GOODBYE) {
                    answer.complete(null);
                }
            }

            @Override
            public void closed(Session session, String reason) {
                answer.complete(null);
            }
        }, Duration.ofSeconds(2));
        open.add(s::close);
        byte[] hello = Wire.hello(requested == null ? 0 : AddressPool.toInt(IpPrefix.parseAddress(requested)));
        s.send(hello, 0, hello.length);
        return answer.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aServerRestartedWithItsLeaseFileGivesNoClientsAddressToAnother(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        java.nio.file.Path leases = dir.resolve("run/leases");
        ServerEngine first = server(Map.of(), leases);
        assertEquals("10.7.0.2/24", ask("alice", null));
        assertEquals("10.7.0.3/24", ask("bob", null));
        first.close(); // a clean stop writes the file; a crash loses at most the last second
        open.remove(first);
        assertTrue(java.nio.file.Files.readString(leases).contains("bob,10.7.0.3"));

        server(Map.of(), leases);
        assertEquals("10.7.0.4/24", ask("mallory", "10.7.0.3"), "bob's address, asked for before bob is back");
        assertEquals("10.7.0.3/24", ask("bob", null), "bob gets it back without asking");
        assertEquals("10.7.0.2/24", ask("alice", "10.7.0.2"));
    }

    @Test
    void anAskedForAddressIsGrantedOnlyByThePoolsRules() throws Exception {
        ServerEngine s = server(Map.of("bob", "10.7.0.50"));
        assertEquals("10.7.0.9/24", ask("alice", "10.7.0.9"), "free, in the pool: granted");
        assertEquals("10.7.0.2/24", ask("mallory", "10.7.0.9"), "alice holds it");
        assertEquals("10.7.0.3/24", ask("eve", "10.7.0.50"), "bob's static address");
        assertEquals("10.7.0.4/24", ask("trent", "10.7.0.1"), "the server's own address");
        assertEquals("10.7.0.5/24", ask("peggy", "192.0.2.7"), "outside the pool");
        assertEquals("10.7.0.50/24", ask("bob", "10.7.0.20"), "a static address wins over any request");
        assertEquals(1, s.kick("alice"));
        assertEquals("10.7.0.6/24", ask("victor", "10.7.0.9"), "alice left it just now: quarantined for others");
        assertEquals("10.7.0.9/24", ask("alice", "10.7.0.9"), "but alice gets it back");
        assertEquals("10.7.0.7/24", ask("walter", null), "an old client's 2-byte HELLO gets an address as before");
    }
}

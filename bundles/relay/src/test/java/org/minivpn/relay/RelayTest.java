package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.transport.Transport;
import org.minivpn.tun.memory.MemoryTunDevice;

/** Client and server engines over in-memory TUN pairs and a loopback transport. */
class RelayTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private MemoryTunDevice.Pair serverTun;

    private ServerEngine server(String pool, String pool6, Map<String, String> statics, boolean clientToClient)
            throws IOException {
        serverTun = MemoryTunDevice.pair("tun0", 1400);
        Map<String, java.net.InetAddress> st = new java.util.HashMap<>();
        statics.forEach((k, v) -> st.put(k, IpPrefix.parseAddress(v)));
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse(pool),
                pool6 == null ? null : IpPrefix.parse(pool6), 1400, List.of(IpPrefix.parse("192.0.2.0/24")), clientToClient,
                st, null, Duration.ofMillis(200), Duration.ofSeconds(2), false, Duration.ofSeconds(60), Duration.ofSeconds(180));
        ServerEngine e = new ServerEngine(serverTun.device(), transport, null, s);
        e.start();
        open.add(e);
        return e;
    }

    private ServerEngine server() throws IOException {
        return server("10.7.0.0/24", null, Map.of(), true);
    }

    private record Client(ClientEngine engine, MemoryTunDevice kernel, MemoryTunDevice device) {
    }

    private Client client(String identity, Transport t, Duration timeout) throws IOException {
        transport.clientIdentity = identity;
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("c-" + identity, 1400);
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofMillis(100), timeout, Duration.ofMillis(400), false,
                Duration.ofSeconds(180));
        ClientEngine e = new ClientEngine(tun.device(), () -> t, null, s, SERVER, "127.0.0.1:23232",
                (from, to, reason) -> events.add(identity + ":" + to));
        open.add(e);
        e.connect();
        return new Client(e, tun.kernel(), tun.device());
    }

    private Client client(String identity) throws IOException {
        return client(identity, transport, Duration.ofSeconds(2));
    }

    @Test
    void packetsFlowBothWaysAndTheClientTakesThePushedConfiguration() throws Exception {
        server();
        Client c = client("alice");
        assertEquals(ClientState.CONNECTED, c.engine.state());
        assertEquals(List.of(IpPrefix.parse("10.7.0.2/24")), c.device.settings().addresses());
        assertEquals(List.of(IpPrefix.parse("10.7.0.1/24")), serverTun.device().settings().addresses());

        byte[] up = Packets.ipv4("10.7.0.2", "198.51.100.7", "up");
        c.kernel.write(up, 0, up.length);
        assertEquals("up", Packets.readText(serverTun.kernel(), 2000));
        byte[] down = Packets.ipv4("198.51.100.7", "10.7.0.2", "down");
        serverTun.kernel().write(down, 0, down.length);
        assertEquals("down", Packets.readText(c.kernel, 2000));

        waitFor(() -> c.engine.traffic().packetsOut() == 1 && c.engine.traffic().packetsIn() == 1, "both are counted");
        waitFor(() -> c.engine.status().rtt() != null, "the client measures a round-trip time");
        assertEquals("", c.engine.status().cryptoBackend(), "the loopback transport names no crypto backend");
    }

    @Test
    void manyClientsEachGetTheirOwnAddressAndOnlyTheirPackets() throws Exception {
        ServerEngine s = server();
        List<Client> clients = new ArrayList<>();
        for (String who : List.of("a", "b", "c")) {
            clients.add(client(who));
        }
        for (int i = 0; i < clients.size(); i++) {
            String address = "10.7.0." + (i + 2);
            assertEquals(IpPrefix.parse(address + "/24"), clients.get(i).device.settings().addresses().get(0));
            byte[] p = Packets.ipv4("198.51.100.7", address, "to " + address);
            serverTun.kernel().write(p, 0, p.length);
        }
        for (int i = 0; i < clients.size(); i++) {
            assertEquals("to 10.7.0." + (i + 2), Packets.readText(clients.get(i).kernel, 2000));
            assertNull(Packets.readText(clients.get(i).kernel, 100), "nothing else arrives");
        }
        assertEquals(3, s.sessions().size());
        ServerStatus st = s.status("127.0.0.1:23232");
        assertTrue(st.running());
        assertEquals("loop", st.transport());
        assertEquals(3, st.sessions());
        assertEquals(3, st.poolInUse(), "each session holds one address of the pool");
        assertEquals(253, st.poolSize(), "a /24 without network, broadcast and the server's own address");
        byte[] nobody = Packets.ipv4("198.51.100.7", "10.7.0.99", "to nobody");
        serverTun.kernel().write(nobody, 0, nobody.length);
        waitFor(() -> s.status("").unroutedDropped() == 1, "a packet for an address nobody holds is counted");
    }

    @Test
    void anExhaustedPoolRefusesTheNextClientWithAClearMessage() throws Exception {
        server("10.7.0.0/29", null, Map.of(), true); // hosts .2 to .6 for clients
        for (int i = 0; i < 5; i++) {
            client("c" + i);
        }
        IOException e = assertThrows(IOException.class, () -> client("late"));
        assertTrue(e.getMessage().contains("address pool 10.7.0.0/29 is exhausted"), e.getMessage());
    }

    @Test
    void aStaticAddressIsBoundToTheIdentity() throws Exception {
        server("10.7.0.0/24", null, Map.of("bob", "10.7.0.50"), true);
        Client other = client("carol");
        Client bob = client("bob");
        assertEquals(IpPrefix.parse("10.7.0.50/24"), bob.device.settings().addresses().get(0));
        assertEquals(IpPrefix.parse("10.7.0.2/24"), other.device.settings().addresses().get(0));
    }

    @Test
    void packetsWithAForeignSourceAreDroppedAndCounted() throws Exception {
        ServerEngine s = server();
        Client c = client("mallory");
        byte[] spoofed = Packets.ipv4("10.7.0.99", "198.51.100.7", "spoof");
        c.kernel.write(spoofed, 0, spoofed.length);
        byte[] honest = Packets.ipv4("10.7.0.2", "198.51.100.7", "honest");
        c.kernel.write(honest, 0, honest.length);
        assertEquals("honest", Packets.readText(serverTun.kernel(), 2000), "only the honest packet comes out");
        waitFor(() -> s.sessions().get(0).traffic().packetsIn() == 1, "the honest packet is counted");
        SessionInfo info = s.sessions().get(0);
        assertEquals(1, info.traffic().dropped(), "the spoofed one is counted as dropped");
    }

    @Test
    void clientsReachEachOtherOnlyWhenAllowed() throws Exception {
        ServerEngine s = server("10.7.0.0/24", null, Map.of(), false);
        Client a = client("a");
        client("b");
        byte[] p = Packets.ipv4("10.7.0.2", "10.7.0.3", "hi b");
        a.kernel.write(p, 0, p.length);
        assertNull(Packets.readText(serverTun.kernel(), 300), "not passed to the server's TUN");
        waitFor(() -> s.sessions().stream().anyMatch(i -> i.identity().equals("a") && i.traffic().dropped() == 1),
                "counted as a drop");
    }

    @Test
    void clientsReachEachOtherWhenAllowed() throws Exception {
        server("10.7.0.0/24", "fd00:7::/64", Map.of(), true);
        Client a = client("a");
        Client b = client("b");
        byte[] p = Packets.ipv4("10.7.0.2", "10.7.0.3", "hi b");
        a.kernel.write(p, 0, p.length);
        assertEquals("hi b", Packets.readText(serverTun.kernel(), 2000), "passed to the server's TUN, which routes it");
        byte[] six = Packets.ipv6("fd00:7::3", "fd00:7::2", "hi a");
        b.kernel.write(six, 0, six.length);
        assertEquals("hi a", Packets.readText(serverTun.kernel(), 2000));
    }

    @Test
    void clientsDoNotReachEachOtherOverIpv6EitherWhenNotAllowed() throws Exception {
        ServerEngine s = server("10.7.0.0/24", "fd00:7::/64", Map.of(), false);
        client("a");
        Client b = client("b");
        byte[] six = Packets.ipv6("fd00:7::3", "fd00:7::2", "hi a");
        b.kernel.write(six, 0, six.length);
        byte[] out = Packets.ipv6("fd00:7::3", "2001:db8::1", "out");
        b.kernel.write(out, 0, out.length);
        assertEquals("out", Packets.readText(serverTun.kernel(), 2000), "only the packet that leaves the tunnel net");
        waitFor(() -> s.sessions().stream().anyMatch(i -> i.identity().equals("b") && i.traffic().dropped() == 1),
                "counted as a drop");
    }

    @Test
    void ipv6TravelsThroughTheTunnel() throws Exception {
        server("10.7.0.0/24", "fd00:7::/64", Map.of(), true);
        Client c = client("six");
        assertTrue(c.device.settings().addresses().contains(IpPrefix.parse("fd00:7::2/64")));
        assertFalse(c.engine.status().ipv6Blocked());
        byte[] up = Packets.ipv6("fd00:7::2", "2001:db8::1", "up6");
        c.kernel.write(up, 0, up.length);
        assertEquals("up6", Packets.readText(serverTun.kernel(), 2000));
        byte[] down = Packets.ipv6("2001:db8::1", "fd00:7::2", "down6");
        serverTun.kernel().write(down, 0, down.length);
        assertEquals("down6", Packets.readText(c.kernel, 2000));
    }

    @Test
    void withoutTunnelIpv6TheClientDropsIpv6AndTellsTheApplication() throws Exception {
        server(); // no pool6
        Client c = client("four");
        assertTrue(c.engine.status().ipv6Blocked());
        byte[] leak = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "leak");
        c.kernel.write(leak, 0, leak.length);
        byte[] answer = new byte[2048];
        int n = -1;
        for (long deadline = System.currentTimeMillis() + 2000; n < 0 && System.currentTimeMillis() < deadline;) {
            n = c.kernel.read(answer, 0, answer.length, 50);
        }
        assertEquals(48 + leak.length, n, "an ICMPv6 error comes back into the TUN");
        assertEquals(58, answer[6]);
        assertEquals(1, answer[40], "destination unreachable");
        assertEquals(1, answer[41], "administratively prohibited");
        assertTrue(Ipv6BlockTest.checksumVerifies(answer, n));
        assertNull(Packets.readText(serverTun.kernel(), 300), "nothing reaches the server");
        waitFor(() -> c.engine.status().ipv6Dropped() == 1 && c.engine.traffic().dropped() == 1, "the drop is counted");
        assertEquals(0, c.engine.traffic().packetsOut());
        byte[] v4 = Packets.ipv4("10.7.0.2", "198.51.100.7", "v4 still flows");
        c.kernel.write(v4, 0, v4.length);
        assertEquals("v4 still flows", Packets.readText(serverTun.kernel(), 2000));
    }

    @Test
    void aSilentServerIsDeclaredDeadAndTheClientReconnectsKeepingItsTun() throws Exception {
        server();
        Client c = client("roamer", transport, Duration.ofMillis(600));
        transport.partitioned = true;
        waitFor(() -> c.engine.state() == ClientState.RECONNECTING, "the client notices the silence");
        assertEquals(List.of(IpPrefix.parse("10.7.0.2/24")), c.device.settings().addresses(), "TUN kept while reconnecting");
        byte[] lost = Packets.ipv4("10.7.0.2", "198.51.100.7", "lost");
        c.kernel.write(lost, 0, lost.length); // dropped, never sent elsewhere
        transport.partitioned = false;
        waitFor(() -> c.engine.state() == ClientState.CONNECTED, "the client reconnects by itself");
        assertEquals(1, c.engine.status().reconnects());
        byte[] p = Packets.ipv4("10.7.0.2", "198.51.100.7", "again");
        c.kernel.write(p, 0, p.length);
        assertEquals("again", Packets.readText(serverTun.kernel(), 2000));
        assertTrue(events.containsAll(List.of("roamer:CONNECTING", "roamer:CONNECTED", "roamer:RECONNECTING")), events.toString());
    }

    @Test
    void aRetargetMovesTheClientToTheOtherTransport() throws Exception {
        server();
        AtomicTransport chosen = new AtomicTransport(transport);
        Client c = clientWith(chosen);
        assertEquals("loop", c.engine.status().transport());
        chosen.set(bridge());
        c.engine.reconnect("retarget");
        waitFor(() -> c.engine.state() == ClientState.CONNECTED && c.engine.status().transport().equals("bridge"),
                "the client is on the new transport");
        // The old session may still hold 10.7.0.2 at the server when the new one asks: send from what was given.
        String address = c.engine.status().tunnelAddresses().get(0).address().getHostAddress();
        byte[] p = Packets.ipv4(address, "198.51.100.7", "via bridge");
        c.kernel.write(p, 0, p.length);
        assertEquals("via bridge", Packets.readText(serverTun.kernel(), 2000));
    }

    /** A transport of another type that reaches the same listener. */
    private Transport bridge() {
        return new Transport() {
            @Override
            public String type() {
                return "bridge";
            }

            @Override
            public org.minivpn.api.transport.Session connect(InetSocketAddress server, String serverName,
                    org.minivpn.api.transport.SessionHandler handler, Duration timeout) throws IOException {
                return transport.connect(server, serverName, handler, timeout);
            }

            @Override
            public org.minivpn.api.transport.TransportServer listen(InetSocketAddress bind,
                    org.minivpn.api.transport.SessionHandler handler) throws IOException {
                return transport.listen(bind, handler);
            }
        };
    }

    private static final class AtomicTransport implements java.util.function.Supplier<Transport> {
        private volatile Transport t;

        AtomicTransport(Transport t) {
            this.t = t;
        }

        void set(Transport n) {
            t = n;
        }

        @Override
        public Transport get() {
            return t;
        }
    }

    private Client clientWith(java.util.function.Supplier<Transport> choice) throws IOException {
        transport.clientIdentity = "mover";
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("c-mover", 1400);
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(400), false,
                Duration.ofSeconds(180));
        ClientEngine e = new ClientEngine(tun.device(), choice, null, s, SERVER, "127.0.0.1:23232", (f, t, r) -> { });
        open.add(e);
        e.connect();
        return new Client(e, tun.kernel(), tun.device());
    }

    @Test
    void disconnectSaysGoodbyeAndTheServerForgetsTheClient() throws Exception {
        ServerEngine s = server();
        Client c = client("leaver");
        assertEquals(1, s.sessions().size());
        c.engine.close();
        assertEquals(ClientState.DISCONNECTED, c.engine.state());
        assertEquals(List.of(), c.device.settings().addresses(), "the tunnel address is taken off the TUN");
        waitFor(() -> s.sessions().isEmpty(), "the server drops the session");
        Client again = client("leaver");
        assertEquals(IpPrefix.parse("10.7.0.2/24"), again.device.settings().addresses().get(0), "its address was freed");
    }

    @Test
    void aKickedClientReconnects() throws Exception {
        ServerEngine s = server();
        Client c = client("kicked");
        assertEquals(1, s.kick("10.7.0.2"));
        waitFor(() -> c.engine.status().reconnects() == 1 && c.engine.state() == ClientState.CONNECTED,
                "the client comes back");
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}

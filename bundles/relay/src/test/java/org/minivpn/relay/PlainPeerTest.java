package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * Plain peers, which speak as the original C MiniVPN does: IP packets only, one per record, and a
 * TUN write of anything else makes them exit. Our server with a plain client, our client plain, and
 * our client finding a plain server after its hello, over the loopback transport and memory TUNs.
 */
class PlainPeerTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Logger[] watched = {Logger.getLogger(Admission.class.getName()),
        Logger.getLogger(HelloExchange.class.getName()), Logger.getLogger(ServerEngine.class.getName()),
        Logger.getLogger(ServerControl.class.getName())};
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private MemoryTunDevice.Pair serverTun;

    @BeforeEach
    void watchTheLog() {
        for (Logger l : watched) {
            l.addHandler(capture);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        for (Logger l : watched) {
            l.removeHandler(capture);
        }
    }

    private ServerEngine server(Map<String, String> statics, Duration plainTimeout) throws IOException {
        serverTun = MemoryTunDevice.pair("tun0", 1400);
        Map<String, InetAddress> st = new HashMap<>();
        statics.forEach((k, v) -> st.put(k, IpPrefix.parseAddress(v)));
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse("10.0.3.0/24"),
                null, 1400, List.of(IpPrefix.parse("192.0.2.0/24")), false, st, null, Duration.ofMillis(100),
                Duration.ofSeconds(2), false, Duration.ofSeconds(60), plainTimeout);
        ServerEngine e = new ServerEngine(serverTun.device(), transport, null, s);
        e.start();
        open.add(e);
        return e;
    }

    private ServerEngine server() throws IOException {
        return server(Map.of(), Duration.ofSeconds(180));
    }

    private static boolean isIp(byte[] r) {
        return Wire.looksLikeIp(r, 0, r.length);
    }

    /** One end of a raw loopback session that keeps every record it is sent, as the original's peer would write it. */
    private static final class Peer implements SessionHandler {
        final BlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
        final List<byte[]> all = new CopyOnWriteArrayList<>();
        final List<Session> sessions = new CopyOnWriteArrayList<>();
        volatile boolean closed;
        volatile Session session;

        @Override
        public void opened(Session s) {
            session = s;
            sessions.add(s);
        }

        @Override
        public void received(Session s, byte[] buf, int off, int len) {
            byte[] copy = new byte[len];
            System.arraycopy(buf, off, copy, 0, len);
            all.add(copy);
            inbox.add(copy);
        }

        @Override
        public void closed(Session s, String reason) {
            closed = true;
        }

        void send(byte[] packet) throws IOException {
            session.send(packet, 0, packet.length);
        }

        /** The text of the next IPv4 packet within two seconds, or null. */
        String nextText() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (long left; (left = deadline - System.nanoTime()) > 0;) {
                byte[] r = inbox.poll(left, TimeUnit.NANOSECONDS);
                if (r != null && Wire.ipVersion(r, 0, r.length) == 4) {
                    return new String(r, 20, r.length - 20, StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        /** Every record that was not an IP packet: what would make the original's peer exit. */
        List<Byte> controls() {
            List<Byte> out = new ArrayList<>();
            for (byte[] r : all) {
                if (!isIp(r)) {
                    out.add(r.length == 0 ? 0 : r[0]);
                }
            }
            return out;
        }
    }

    private Peer connect(String identity) throws IOException {
        transport.clientIdentity = identity;
        Peer p = new Peer();
        p.session = transport.connect(SERVER, null, p, Duration.ofSeconds(2));
        open.add(p.session);
        return p;
    }

    private static void send(Peer p, String src, String dst, String text) throws IOException {
        p.send(Packets.ipv4(src, dst, text));
    }

    private void toTun(String src, String dst, String text) throws IOException {
        byte[] p = Packets.ipv4(src, dst, text);
        serverTun.kernel().write(p, 0, p.length);
    }

    @Test
    void aPlainPeerTakesItsAddressFromItsFirstPacketAndIsSentNothingButPackets() throws Exception {
        ServerEngine s = server();
        Peer ours = connect("ours");
        byte[] hello = Wire.hello();
        ours.send(hello);
        Peer original = connect("original-client");
        original.send(Packets.ipv6("fe80::1", "ff02::2", "router solicitation")); // a hand-made TUN sends these first
        send(original, "10.0.3.3", "10.0.3.1", "ping");
        assertEquals("ping", Packets.readText(serverTun.kernel(), 2000), "the IPv6 packet is dropped, the IPv4 one passes");
        SessionInfo info = s.sessions().stream().filter(i -> i.identity().equals("original-client")).findFirst().orElseThrow();
        assertEquals(List.of(IpPrefix.parse("10.0.3.3/24")), info.tunnelAddresses());
        assertTrue(info.plain());
        assertNull(info.rtt());
        assertFalse(s.sessions().stream().filter(i -> i.identity().equals("ours")).findFirst().orElseThrow().plain());

        toTun("10.0.3.1", "10.0.3.3", "pong");
        assertEquals("pong", original.nextText());
        send(original, "10.0.3.4", "10.0.3.1", "spoofed");
        assertNull(Packets.readText(serverTun.kernel(), 300), "the address it took binds it");

        waitFor(() -> ours.all.stream().filter(r -> r[0] == Wire.PING).count() >= 3, "the server pings the client that"
                + " said hello, several keepalive intervals");
        assertEquals(List.of(), original.controls(), "and never the plain one");
        assertEquals(1, s.kick("10.0.3.3"));
        waitFor(() -> original.closed, "the kicked plain peer's session is closed");
        assertEquals(List.of(), original.controls(), "without a goodbye");
        assertEquals(List.of(Wire.CONFIG), ours.controls().stream().filter(t -> t != Wire.PING).toList());
    }

    @Test
    void aPlainPeerIsNotSentAGoodbyeWhenTheServerStopsOrItIsReplaced() throws Exception {
        ServerEngine s = server();
        Peer first = connect("original-client");
        send(first, "10.0.3.3", "10.0.3.1", "one");
        assertEquals("one", Packets.readText(serverTun.kernel(), 2000));
        Peer second = connect("original-client");
        waitFor(() -> first.closed, "the replaced session is closed");
        send(second, "10.0.3.3", "10.0.3.1", "two");
        assertEquals("two", Packets.readText(serverTun.kernel(), 2000), "the new session takes the identity's address");
        s.close();
        waitFor(() -> second.closed, "the server's close ends the session");
        assertEquals(List.of(), first.controls());
        assertEquals(List.of(), second.controls());
    }

    @Test
    void aPlainPeerIsRefusedAnAddressOutsideThePoolHeldReservedOrQuarantinedWithTheReasonLogged() throws Exception {
        ServerEngine s = server(Map.of("bob", "10.0.3.50"), Duration.ofSeconds(180));
        Peer alice = connect("alice");
        alice.send(Wire.hello());
        waitFor(() -> !alice.controls().isEmpty(), "alice gets her configuration");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("192.0.2.9", "its first packet comes from 192.0.2.9, which is not a client address of pool 10.0.3.0/24");
        cases.put("10.0.3.1", "its first packet comes from 10.0.3.1, which is not a client address of pool");
        cases.put("10.0.3.2", "its first packet comes from 10.0.3.2, which another session holds");
        cases.put("10.0.3.50", "its first packet comes from 10.0.3.50, which is the static address of another identity");
        int n = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Peer p = connect("plain" + n++);
            send(p, c.getKey(), "10.0.3.1", "refused");
            waitFor(() -> p.closed, "the plain peer sending from " + c.getKey() + " is refused");
            assertEquals(List.of(), p.all, "and is sent nothing, not even a goodbye");
            waitFor(() -> log.stream().anyMatch(l -> l.contains(c.getValue())), "the reason is logged: " + c.getValue());
        }
        alice.session.close();
        waitFor(() -> s.sessions().isEmpty(), "alice left");
        Peer late = connect("mallory");
        send(late, "10.0.3.2", "10.0.3.1", "refused");
        waitFor(() -> late.closed, "alice's address is in quarantine");
        assertTrue(log.stream().anyMatch(l -> l.contains("which another client left less than 60 s ago")), log.toString());
        assertNull(Packets.readText(serverTun.kernel(), 200), "no refused packet reached the TUN");
        assertEquals(0, s.sessions().size());
    }

    @Test
    void aPlainPeerWithAStaticAddressGetsThatOne() throws Exception {
        ServerEngine s = server(Map.of("original-client", "10.0.3.9"), Duration.ofSeconds(180));
        Peer p = connect("original-client");
        send(p, "10.0.3.9", "10.0.3.1", "static");
        assertEquals("static", Packets.readText(serverTun.kernel(), 2000));
        assertEquals(IpPrefix.parse("10.0.3.9/24"), s.sessions().get(0).tunnelAddresses().get(0));
    }

    @Test
    void aSilentPlainPeerIsDroppedAfterThePlainTimeoutAndNeverWhenItIsZero() throws Exception {
        ServerEngine s = server(Map.of(), Duration.ofMillis(500));
        Peer p = connect("original-client");
        send(p, "10.0.3.3", "10.0.3.1", "once");
        waitFor(() -> p.closed && s.sessions().isEmpty(), "the silent plain peer is dropped");
        assertEquals(List.of(), p.controls());
        assertTrue(log.stream().anyMatch(l -> l.contains("plain.timeout.seconds")), log.toString());
        s.close();

        ServerEngine never = server(Map.of(), Duration.ZERO);
        Peer q = connect("original-client");
        send(q, "10.0.3.3", "10.0.3.1", "once");
        Thread.sleep(2600); // past the 2 s timeout of peers that said hello
        assertFalse(q.closed);
        assertEquals(1, never.sessions().size());
    }

    private record Client(ClientEngine engine, MemoryTunDevice kernel, MemoryTunDevice device) {
    }

    private Client client(List<String> addresses, boolean plain, Duration configWait, Duration plainTimeout)
            throws IOException {
        transport.clientIdentity = "ours";
        MemoryTunDevice.Pair tun = MemoryTunDevice.pair("c-ours", 1400);
        ClientSettings s = new ClientSettings(null, IpPrefix.parseAll(addresses.toArray(String[]::new)), 1400, true, false,
                Duration.ofSeconds(2), configWait, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(400),
                plain, plainTimeout);
        ClientEngine e = new ClientEngine(tun.device(), () -> transport, null, s, SERVER, "127.0.0.1:23232",
                (from, to, reason) -> events.add(to.name()));
        open.add(e);
        e.connect();
        return new Client(e, tun.kernel(), tun.device());
    }

    /** A server that behaves as the original's: it listens, and says nothing but the IP packets it is given. */
    private Peer plainServer() throws IOException {
        Peer p = new Peer();
        open.add(transport.listen(SERVER, p));
        return p;
    }

    @Test
    void aPlainClientSendsNothingButPackets() throws Exception {
        Peer original = plainServer();
        Client c = client(List.of("10.0.3.3/24"), true, Duration.ofSeconds(30), Duration.ofSeconds(180));
        assertEquals(ClientState.CONNECTED, c.engine.state(), "connected without waiting for a configuration");
        assertEquals(List.of(IpPrefix.parse("10.0.3.3/24")), c.device.settings().addresses());
        assertTrue(c.engine.status().plain());

        byte[] up = Packets.ipv4("10.0.3.3", "10.0.3.2", "echo request");
        c.kernel.write(up, 0, up.length);
        assertEquals("echo request", original.nextText());
        original.send(Packets.ipv4("10.0.3.2", "10.0.3.3", "echo reply"));
        assertEquals("echo reply", Packets.readText(c.kernel, 2000));
        original.send(pingRecord()); // answered by a client that speaks control messages, not by a plain one
        Thread.sleep(1000); // ten keepalive intervals of a client that speaks control messages
        c.engine.close();
        waitFor(() -> !original.session.isOpen(), "the session ends");
        assertEquals(List.of(), original.controls(), "no hello, no pong, no ping, no goodbye");
        assertNull(c.engine.status().rtt());
    }

    private static byte[] pingRecord() {
        byte[] b = new byte[Wire.PING_LENGTH];
        Wire.ping(b, Wire.PING, 42);
        return b;
    }

    @Test
    void aHelloClientThatMeetsAPlainServerStopsSendingControlMessagesAndSaysSoOnce() throws Exception {
        Peer original = plainServer();
        Client c = client(List.of("10.0.3.3/24"), false, Duration.ofMillis(400), Duration.ofSeconds(180));
        assertEquals(ClientState.CONNECTED, c.engine.state());
        assertTrue(c.engine.status().plain(), "it found the server plain");
        assertEquals(List.of(Wire.HELLO), original.controls(), "the hello, and nothing after it");

        byte[] up = Packets.ipv4("10.0.3.3", "10.0.3.2", "after the switch");
        c.kernel.write(up, 0, up.length);
        assertEquals("after the switch", original.nextText());
        Thread.sleep(1000);
        assertEquals(List.of(Wire.HELLO), original.controls(), "no keepalive pings");

        c.engine.reconnect("a new session");
        waitFor(() -> original.sessions.size() == 2 && c.engine.state() == ClientState.CONNECTED, "it reconnects");
        c.engine.close();
        waitFor(() -> !original.session.isOpen(), "the second session ends");
        assertEquals(List.of(Wire.HELLO), original.controls(), "no second hello, no goodbye");
        assertEquals(1, log.stream().filter(l -> l.contains("it is a plain server")).count(), log.toString());
    }

    @Test
    void aHelloClientWithoutAnAddressFailsWithAdviceWhenTheServerIsPlain() throws Exception {
        plainServer();
        IOException e = assertThrows(IOException.class,
                () -> client(List.of(), false, Duration.ofMillis(300), Duration.ofSeconds(180)));
        assertTrue(e.getMessage().contains("set address = <tunnel address/prefix>"), e.getMessage());
        assertTrue(e.getMessage().contains("plain = true"), e.getMessage());
    }

    @Test
    void aPlainClientDeclaresASilentServerDeadAfterThePlainTimeout() throws Exception {
        Peer original = plainServer();
        Client c = client(List.of("10.0.3.3/24"), true, Duration.ofSeconds(2), Duration.ofMillis(600));
        waitFor(() -> events.contains("RECONNECTING"), "the silent server is declared dead");
        waitFor(() -> c.engine.state() == ClientState.CONNECTED, "and a new session is made");
        assertEquals(List.of(), original.controls());
    }

    @Test
    void ourPlainClientWithOurServer() throws Exception {
        ServerEngine s = server();
        Client c = client(List.of("10.0.3.7/24"), true, Duration.ofSeconds(2), Duration.ofSeconds(180));
        byte[] up = Packets.ipv4("10.0.3.7", "10.0.3.1", "up");
        c.kernel.write(up, 0, up.length);
        assertEquals("up", Packets.readText(serverTun.kernel(), 2000));
        toTun("10.0.3.1", "10.0.3.7", "down");
        assertEquals("down", Packets.readText(c.kernel, 2000));
        SessionInfo info = s.sessions().get(0);
        assertTrue(info.plain());
        assertEquals(IpPrefix.parse("10.0.3.7/24"), info.tunnelAddresses().get(0));
    }

    /** The client's configuration as SCR gives it, with some attributes set. */
    private static ClientConfig config(Map<String, Object> set) {
        return (ClientConfig) Proxy.newProxyInstance(ClientConfig.class.getClassLoader(), new Class<?>[] {ClientConfig.class},
                (proxy, method, args) -> set.getOrDefault(method.getName(), method.getDefaultValue()));
    }

    @Test
    void aPlainClientNeedsItsAddressConfiguredBeforeItConnects() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClientRelay.settings(config(Map.of("plain", true)), null, false, false));
        assertTrue(e.getMessage().contains("set address = <tunnel address/prefix>"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClientRelay.settings(config(Map.of()), null, false, true),
                "vpn:connect --plain needs it too");
        ClientSettings s = ClientRelay.settings(config(Map.of("address", new String[] {"10.0.3.3/24"})), null, false, true);
        assertTrue(s.plain());
        assertEquals(Duration.ofSeconds(180), s.plainTimeout());
        assertFalse(ClientRelay.settings(config(Map.of()), null, false, false).plain(), "off by default");
    }
}

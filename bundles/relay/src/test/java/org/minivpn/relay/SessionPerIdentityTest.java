package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * One session per identity on the server, and which address each session gets, seen from raw
 * sessions of the loopback transport: what a client with a given certificate can and cannot do.
 */
class SessionPerIdentityTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport transport = new LoopbackTransport("loop");
    private final List<AutoCloseable> open = new ArrayList<>();
    private MemoryTunDevice.Pair serverTun;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private ServerEngine server(String pool, Map<String, String> statics, boolean duplicateIdentity) throws IOException {
        serverTun = MemoryTunDevice.pair("tun0", 1400);
        Map<String, InetAddress> st = new HashMap<>();
        statics.forEach((k, v) -> st.put(k, IpPrefix.parseAddress(v)));
        ServerSettings s = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse(pool), null, 1400,
                List.of(), false, st, null, Duration.ofSeconds(10), Duration.ofSeconds(60), duplicateIdentity,
                Duration.ofSeconds(60), Duration.ofSeconds(180));
        ServerEngine e = new ServerEngine(serverTun.device(), transport, null, s);
        e.start();
        open.add(e);
        return e;
    }

    /** A client session that records what the server sends it. */
    private static final class Raw implements SessionHandler {
        final BlockingQueue<byte[]> records = new LinkedBlockingQueue<>();
        volatile boolean closed;
        Session session;

        @Override
        public void received(Session s, byte[] buf, int off, int len) {
            byte[] copy = new byte[len];
            System.arraycopy(buf, off, copy, 0, len);
            records.add(copy);
        }

        @Override
        public void closed(Session s, String reason) {
            closed = true;
        }

        /** The next record of {@code type}, or null within two seconds; others are skipped. */
        byte[] next(byte type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (long left; (left = deadline - System.nanoTime()) > 0;) {
                byte[] r = records.poll(left, TimeUnit.NANOSECONDS);
                if (r != null && r.length > 0 && r[0] == type) {
                    return r;
                }
            }
            return null;
        }

        /** Sends a hello and returns the IPv4 address the server pushes, or the goodbye's reason. */
        String hello() throws Exception {
            byte[] hello = Wire.hello();
            session.send(hello, 0, hello.length);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (long left; (left = deadline - System.nanoTime()) > 0;) {
                byte[] r = records.poll(left, TimeUnit.NANOSECONDS);
                if (r != null && r[0] == Wire.CONFIG) {
                    return Wire.parseConfig(r, 0, r.length).get("address").get(0);
                }
                if (r != null && r[0] == Wire.GOODBYE) {
                    return "goodbye: " + Wire.goodbyeReason(r, 0, r.length);
                }
            }
            throw new AssertionError("no answer to the hello");
        }
    }

    private Raw connect(String identity) throws IOException {
        transport.clientIdentity = identity;
        Raw raw = new Raw();
        raw.session = transport.connect(SERVER, null, raw, Duration.ofSeconds(2));
        open.add(raw.session);
        return raw;
    }

    @Test
    void aNewSessionOfAnIdentityReplacesTheOldOneAndTakesItsAddress() throws Exception {
        ServerEngine s = server("10.7.0.0/24", Map.of(), false);
        Raw bob = connect("bob");
        assertEquals("10.7.0.2/24", bob.hello());
        Raw first = connect("alice");
        assertEquals("10.7.0.3/24", first.hello());
        Raw second = connect("alice");
        assertEquals("10.7.0.3/24", second.hello(), "the new session gets the identity's address");

        byte[] bye = first.next(Wire.GOODBYE);
        assertTrue(bye != null && Wire.goodbyeReason(bye, 0, bye.length).contains("replaced by a new session of 'alice'"));
        waitFor(() -> first.closed, "the old session is closed");
        assertFalse(bob.closed, "another identity's session is untouched");
        List<SessionInfo> sessions = s.sessions();
        assertEquals(2, sessions.size(), sessions.toString());

        byte[] down = Packets.ipv4("198.51.100.7", "10.7.0.3", "to alice");
        serverTun.kernel().write(down, 0, down.length);
        byte[] got = second.next((byte) 0x45);
        assertEquals("to alice", got == null ? null : new String(got, 20, got.length - 20, StandardCharsets.UTF_8));
        assertNull(first.next((byte) 0x45), "nothing reaches the replaced session");
    }

    @Test
    void anOldSessionClosedRightBeforeTheNewOneOpensGivesItsAddressToTheNewOne() throws Exception {
        ServerEngine s = server("10.7.0.0/24", Map.of(), false);
        Raw first = connect("alice");
        assertEquals("10.7.0.2/24", first.hello());
        first.session.close();
        waitFor(() -> s.sessions().isEmpty(), "the server sees the old session end");
        Raw bob = connect("bob");
        assertEquals("10.7.0.3/24", bob.hello(), "alice's freed address is quarantined from bob");
        Raw second = connect("alice");
        assertEquals("10.7.0.2/24", second.hello(), "alice gets her address back");
    }

    /**
     * A client that moves its tunnel to a new session (a rekey, another transport) still has packets
     * in flight on the old one: for a moment they count as the new session's, under its address
     * check, and the old session is closed after its grace. Only the same identity holds both.
     */
    @Test
    void packetsInFlightOnAReplacedSessionCountAsTheNewOnesForAMoment() throws Exception {
        ServerEngine s = server("10.7.0.0/24", Map.of(), false);
        StubSession first = new StubSession("alice", 1);
        StubSession second = new StubSession("alice", 2);
        byte[] hello = Wire.hello();
        s.opened(first);
        s.received(first, hello, 0, hello.length);
        s.opened(second); // takes 10.7.0.2 at once, before its HELLO
        byte[] old = Packets.ipv4("10.7.0.2", "198.51.100.7", "in flight on the old one");
        s.received(first, old, 0, old.length);
        byte[] spoofed = Packets.ipv4("10.7.0.9", "198.51.100.7", "not its address");
        s.received(first, spoofed, 0, spoofed.length);
        byte[] now = Packets.ipv4("10.7.0.2", "198.51.100.7", "from the new one");
        s.received(second, now, 0, now.length);
        assertEquals("in flight on the old one", Packets.readText(serverTun.kernel(), 2000));
        assertEquals("from the new one", Packets.readText(serverTun.kernel(), 2000));
        assertNull(Packets.readText(serverTun.kernel(), 200), "nothing with another source");
        assertEquals(1, s.sessions().size());
        assertEquals(2, s.sessions().get(0).remote().getPort());
        assertEquals(IpPrefix.parse("10.7.0.2/24"), s.sessions().get(0).tunnelAddresses().get(0));
        waitFor(() -> !first.isOpen(), "the old session is closed after its grace");
    }

    @Test
    void severalSessionsOfOneIdentityWhenDuplicatesAreAllowed() throws Exception {
        ServerEngine s = server("10.7.0.0/24", Map.of(), true);
        Raw first = connect("alice");
        Raw second = connect("alice");
        assertEquals("10.7.0.2/24", first.hello());
        assertEquals("10.7.0.3/24", second.hello());
        assertEquals(2, s.sessions().size());
        assertFalse(first.closed);
    }

    @Test
    void aStaticClientWhoseOldSessionLingersIsServedAtOnce() throws Exception {
        ServerEngine s = server("10.7.0.0/24", Map.of("bob", "10.7.0.50"), true);
        Raw first = connect("bob");
        assertEquals("10.7.0.50/24", first.hello());
        Raw second = connect("bob");
        assertEquals("10.7.0.50/24", second.hello(), "replaced even with duplicate.identity: the address is one");
        waitFor(() -> first.closed, "the lingering session is closed");
        assertEquals(1, s.sessions().size());
    }

    @Test
    void whenOnlyQuarantinedAddressesAreLeftANewcomerIsRefusedWithAdvice() throws Exception {
        ServerEngine s = server("10.7.0.0/29", Map.of(), false); // .2 to .6
        List<Raw> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Raw r = connect("c" + i);
            assertEquals("10.7.0." + (2 + i) + "/29", r.hello());
            clients.add(r);
        }
        clients.get(0).session.close();
        waitFor(() -> s.sessions().size() == 4, "c0 left");
        String refusal = connect("late").hello();
        assertTrue(refusal.startsWith("goodbye: the address pool 10.7.0.0/29 has no free address"), refusal);
        assertTrue(refusal.contains("enlarge pool"), refusal);
        assertEquals("10.7.0.2/29", connect("c0").hello(), "c0 itself comes back to its address");
    }
}

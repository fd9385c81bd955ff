package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minivpn.relay.RelayTest.waitFor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tun.memory.MemoryTunDevice;

/**
 * A server that listens on two transports at once with one address pool, and a client that falls
 * back to the second when the first cannot reach the server, never when the first is refused.
 */
class TransportFallbackTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 23232);

    private final LoopbackTransport dtls = new LoopbackTransport("dtls");
    private final LoopbackTransport tls = new LoopbackTransport("tls");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private ServerEngine serve() throws IOException {
        MemoryTunDevice.Pair st = MemoryTunDevice.pair("tun0", 1400);
        ServerSettings ss = new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 23232, IpPrefix.parse("10.7.0.0/24"),
                null, 1400, List.of(), false, Map.of(), null, Duration.ofSeconds(10), Duration.ofSeconds(60), false,
                Duration.ofSeconds(60), Duration.ofSeconds(180));
        ServerEngine server = new ServerEngine(st.device(), List.of(dtls, tls), null, ss);
        server.start();
        open.add(server);
        return server;
    }

    private ClientEngine client(String name, Dialer.Candidates candidates) {
        MemoryTunDevice.Pair ct = MemoryTunDevice.pair("c-" + name, 1400);
        ClientSettings cs = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(4),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2), false,
                Duration.ofSeconds(180)).withFallbackAfter(Duration.ofMillis(700));
        ClientEngine client = new ClientEngine(ct.device(), null, cs, SERVER, "127.0.0.1:23232",
                (from, to, reason) -> changes.add(to + ": " + reason), candidates);
        open.add(client);
        return client;
    }

    private static SessionInfo only(ServerEngine s) {
        List<SessionInfo> all = s.sessions();
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    @Test
    void theServerListensOnBothAndAnIdentityKeepsOneSessionAndItsAddressAcrossThem() throws Exception {
        ServerEngine server = serve();
        assertEquals("dtls, tls", server.status("x").transport());
        Transport[] use = {dtls.as("alice")};
        ClientEngine alice = client("alice", () -> List.of(use[0]));
        alice.connect();
        SessionInfo overDtls = only(server);
        use[0] = tls.as("alice");
        alice.reconnect("vpn:connect -t tls");
        waitFor(() -> "tls".equals(alice.status().transport()), "the move to tls");
        waitFor(() -> server.sessions().size() == 1, "the dtls session replaced by the tls one");
        assertEquals(overDtls.tunnelAddresses(), only(server).tunnelAddresses(), "the same address over tls");
        assertEquals("tls", alice.status().transport());
        assertEquals(0, alice.status().reconnects(), changes.toString());
    }

    @Test
    void aListenerThatGoesAwayEndsOnlyItsOwnSessions() throws Exception {
        ServerEngine server = serve();
        client("alice", () -> List.of(dtls.as("alice"))).connect();
        ClientEngine bob = client("bob", () -> List.of(tls.as("bob")));
        bob.connect();
        waitFor(() -> server.sessions().size() == 2, "two sessions");
        assertTrue(server.unlisten(tls));
        waitFor(() -> server.sessions().size() == 1, "bob's tls session ends with its listener");
        assertEquals("alice", only(server).identity());
        assertEquals(List.of("dtls"), server.listening());
        assertTrue(server.listen(tls), "a transport that comes back is listened on again");
        waitFor(() -> server.sessions().size() == 2, "bob reconnects over tls");
    }

    @Test
    void aClientThatCannotReachOverTheFirstTransportFallsBackQuicklyAndSaysWhy() throws Exception {
        serve();
        dtls.partitioned = true; // UDP blocked: nothing answers
        Recording first = new Recording(dtls.as("alice"), new SocketTimeoutException("no DTLS session within 700 ms"));
        ClientEngine alice = client("alice", () -> List.of(first, tls.as("alice")));
        long start = System.nanoTime();
        alice.connect();
        assertEquals(ClientState.CONNECTED, alice.state());
        assertEquals("tls", alice.status().transport());
        assertEquals(List.of(Duration.ofMillis(700)), first.timeouts, "the first try has the short budget");
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(4)) < 0);
        assertTrue(changes.stream().anyMatch(c -> c.startsWith("CONNECTED") && c.contains("over tls")
                && c.contains("falling back: dtls could not connect (no DTLS session within 700 ms)")), changes.toString());
    }

    @Test
    void aRefusalNeverFallsBack() throws Exception {
        serve();
        Recording refusing = new Recording(dtls.as("alice"), new TransportException("the server's certificate is for"
                + " 'rogue', not '127.0.0.1'"));
        Recording second = new Recording(tls.as("alice"), null);
        ClientEngine alice = client("alice", () -> List.of(refusing, second));
        IOException e = assertThrows(TransportException.class, alice::connect);
        assertTrue(e.getMessage().contains("rogue"), e.getMessage());
        assertEquals(0, second.timeouts.size(), "tls was never tried");
        assertEquals(ClientState.DISCONNECTED, alice.state());
    }

    @Test
    void withoutAFallbackTheOnlyTransportHasTheWholeHandshakeTimeout() throws Exception {
        serve();
        Recording only = new Recording(dtls.as("alice"), null);
        client("alice", () -> List.of(only)).connect();
        assertEquals(List.of(Duration.ofSeconds(4)), only.timeouts);
    }

    /** A transport that records each connect's timeout and, when given one, fails with {@code failure}. */
    private static final class Recording implements Transport {
        final Transport inner;
        final IOException failure;
        final List<Duration> timeouts = new CopyOnWriteArrayList<>();

        Recording(Transport inner, IOException failure) {
            this.inner = inner;
            this.failure = failure;
        }

        @Override
        public String type() {
            return inner.type();
        }

        @Override
        public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
                throws IOException {
            timeouts.add(timeout);
            if (failure != null) {
                throw failure;
            }
            return inner.connect(server, serverName, handler, timeout);
        }

        @Override
        public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
            return inner.listen(bind, handler);
        }
    }
}

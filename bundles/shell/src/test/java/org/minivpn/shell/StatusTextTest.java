package org.minivpn.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;

/** What vpn:status and vpn:sessions print for given snapshots. */
class StatusTextTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    private static ClientStatus connected(List<IpPrefix> addresses, boolean ipv6Blocked, long ipv6Dropped, long failures) {
        return new ClientStatus(ClientState.CONNECTED, "198.18.0.1:23232", addresses, "dtls",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", new Traffic(2048, 2, 1024, 1, 3), Duration.ofMillis(12),
                NOW.minusSeconds(90), 1, NOW.minusSeconds(90), List.of(), ipv6Blocked, ipv6Dropped, failures, false);
    }

    private static String line(String text, String key) {
        return text.lines().filter(l -> l.startsWith(key + " ")).findFirst().orElse(null);
    }

    @Test
    void aClientWithoutTunnelIpv6SaysThatIpv6IsBlocked() {
        String text = StatusText.client(connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 7, 0), NOW);
        assertEquals("ipv6        blocked (the server pushes no IPv6 address; nothing leaves outside the tunnel),"
                + " 7 packet(s) dropped", line(text, "ipv6"));
        String none = StatusText.client(connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 0, 0), NOW);
        assertEquals("ipv6        " + StatusText.IPV6_BLOCKED, line(none, "ipv6"));
    }

    @Test
    void aClientWithTunnelIpv6SaysItGoesThroughTheTunnel() {
        String text = StatusText.client(connected(List.of(IpPrefix.parse("10.7.0.2/24"), IpPrefix.parse("fd00:7::2/64")),
                false, 0, 0), NOW);
        assertEquals("ipv6        through the tunnel", line(text, "ipv6"));
        assertEquals("tunnel      10.7.0.2/24 fd00:7:0:0:0:0:0:2/64", line(text, "tunnel"));
    }

    @Test
    void aDisconnectedClientShowsDashes() {
        ClientStatus off = new ClientStatus(ClientState.DISCONNECTED, "", List.of(), "", "", Traffic.NONE, null, NOW, 0,
                null, List.of(), false, 0, 0, false);
        String text = StatusText.client(off, NOW);
        assertEquals("ipv6        -", line(text, "ipv6"));
        assertEquals("uptime      -", line(text, "uptime"));
        assertEquals("state       DISCONNECTED since 2026-11-29T12:00:00Z", line(text, "state"));
    }

    @Test
    void theOtherLinesOfAConnectedClient() {
        String text = StatusText.client(connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 0, 0), NOW);
        assertEquals("traffic     in 2.0 KiB / 2 pkts, out 1.0 KiB / 1 pkts, dropped 3", line(text, "traffic"));
        assertEquals("rtt         12.00 ms", line(text, "rtt"));
        assertEquals("uptime      1m30s", line(text, "uptime"));
        assertEquals("reconnects  1", line(text, "reconnects"));
        assertEquals("rate        in 0.2 kbit/s, out 0.1 kbit/s (average since connect)", line(text, "rate"));
        assertEquals(null, line(text, "failures"), "no failures line while there are none");
    }

    @Test
    void relayFailuresAreShownOnceThereAreAny() {
        String client = StatusText.client(connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 0, 4), NOW);
        assertTrue(line(client, "failures").startsWith("failures    4 unexpected relay failure(s)"), client);
        String server = StatusText.serving(serving(2, 1, Map.of()));
        assertTrue(server.startsWith("serving     0.0.0.0:23232, 2 session(s); see vpn:sessions\n"), server);
        assertTrue(line(server, "failures").contains("appliance.log"), server);
        assertFalse(StatusText.serving(serving(0, 0, Map.of())).contains("failures"));
    }

    private static ServerStatus serving(int sessions, long failures, Map<String, Long> counters) {
        return new ServerStatus(true, "0.0.0.0:23232", "dtls", NOW.minusSeconds(60), sessions, 253, sessions, 5, failures,
                counters);
    }

    @Test
    void theServerShowsItsPoolHandshakesAndDropsByReason() {
        String text = StatusText.serving(serving(2, 0, Map.of("handshakes.ok", 3L, "handshakes.failed", 1L,
                "handshakes.timeout", 1L, "handshakes.busy", 0L, "dropped.forged", 4L, "dropped.replayed", 0L,
                "dropped.unknown_peer", 2L)));
        assertEquals("pool        2 of 253 address(es) in use", line(text, "pool"));
        assertEquals("handshakes  ok 3, failed 1 (timed out 1), turned away: busy 0, rate limited 0, source limited 0,"
                + " evicted 0", line(text, "handshakes"));
        assertEquals("dropped     unrouted 5, forged 4, unknown peer 2", line(text, "dropped"));
        assertEquals(null, line(StatusText.serving(serving(0, 0, Map.of())), "handshakes"),
                "a transport that counts nothing has no handshakes line");
    }

    @Test
    void theClientNamesItsCryptoBackend() {
        ClientStatus c = connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 0, 0);
        ClientStatus bc = new ClientStatus(c.state(), c.server(), c.tunnelAddresses(), c.transport(), c.cipherSuite(),
                c.traffic(), c.rtt(), c.since(), 0, c.connectedAt(), List.of(), true, 0, 0, false, "bc");
        assertEquals("crypto      bc backend", line(StatusText.client(bc, NOW), "crypto"));
        assertEquals("crypto      -", line(StatusText.client(c, NOW), "crypto"));
    }

    @Test
    void theClientTellsItsKeysAge() {
        ClientStatus c = connected(List.of(IpPrefix.parse("10.7.0.2/24")), true, 0, 0);
        ClientStatus keyed = new ClientStatus(c.state(), c.server(), c.tunnelAddresses(), c.transport(), c.cipherSuite(),
                c.traffic(), c.rtt(), c.since(), 0, c.connectedAt(), List.of(), true, 0, 0, false, "jca",
                NOW.minusSeconds(95));
        assertEquals("keys        made 95 s ago (a new session replaces them: rekey.records, rekey.seconds)",
                line(StatusText.client(keyed, NOW), "keys"));
        assertEquals("keys        -", line(StatusText.client(c, NOW), "keys"));
    }

    @Test
    void sessionsAreOneRowEach() {
        SessionInfo alice = new SessionInfo("alice", List.of(IpPrefix.parse("10.7.0.2/24")),
                new InetSocketAddress("198.18.0.2", 40000), new Traffic(3 * 1024 * 1024, 10, 5, 1, 0), NOW.minusSeconds(4),
                Duration.ofMillis(7), false);
        SessionInfo waiting = new SessionInfo("bob", List.of(), new InetSocketAddress("198.18.0.3", 40001), Traffic.NONE,
                NOW, null, false);
        List<String> rows = StatusText.sessions(List.of(alice, waiting), NOW).lines().toList();
        assertEquals(4, rows.size(), rows.toString());
        assertTrue(rows.get(0).startsWith("IDENTITY"), rows.get(0));
        assertEquals(List.of("alice", "10.7.0.2", "198.18.0.2:40000", "control", "3.0", "MiB", "5", "B", "7ms", "4s", "ago"),
                List.of(rows.get(1).split(" +")));
        assertEquals(List.of("bob", "-", "198.18.0.3:40001", "control", "0", "B", "0", "B", "-", "0s", "ago"),
                List.of(rows.get(2).split(" +")));
        assertEquals("2 session(s)", rows.get(3));
    }

    @Test
    void plainSessionsAreMarkedAndCounted() {
        SessionInfo original = new SessionInfo("original-client", List.of(IpPrefix.parse("10.0.3.3/24")),
                new InetSocketAddress("198.18.96.2", 51000), new Traffic(84, 1, 84, 1, 0), NOW.minusSeconds(1), null, true);
        List<String> rows = StatusText.sessions(List.of(original), NOW).lines().toList();
        assertTrue(rows.get(0).contains(" MODE "), rows.get(0));
        assertEquals(List.of("original-client", "10.0.3.3", "198.18.96.2:51000", "plain", "84", "B", "84", "B", "-", "1s",
                "ago"), List.of(rows.get(1).split(" +")));
        assertEquals("1 session(s), 1 plain (IP packets only: no configuration, keepalives or RTT)", rows.get(2));
    }

    @Test
    void aPlainClientSaysSoAndAControlClientHasNoModeLine() {
        ClientStatus c = connected(List.of(IpPrefix.parse("10.0.3.3/24")), true, 0, 0);
        ClientStatus plain = new ClientStatus(c.state(), c.server(), c.tunnelAddresses(), c.transport(), c.cipherSuite(),
                c.traffic(), null, c.since(), 0, c.connectedAt(), List.of(), true, 0, 0, true);
        String text = StatusText.client(plain, NOW);
        assertEquals("mode        " + StatusText.PLAIN_CLIENT, line(text, "mode"));
        assertEquals("rtt         -", line(text, "rtt"));
        assertEquals(null, line(StatusText.client(c, NOW), "mode"));
    }

    @Test
    void byteCountsInBinaryUnits() {
        assertEquals("1023 B", StatusText.bytes(1023));
        assertEquals("1.5 KiB", StatusText.bytes(1536));
        assertEquals("2.00 GiB", StatusText.bytes(2L << 30));
    }
}

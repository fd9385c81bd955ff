package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

/** The text of /metrics for given snapshots, as Prometheus reads it. */
class MetricsTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final MemoryUsage HEAP = new MemoryUsage(0, 1000, 2000, 4000);
    private static final MemoryUsage NON_HEAP = new MemoryUsage(0, 10, 20, -1);

    private static SessionInfo session(String identity, String address, long in, long out) {
        return new SessionInfo(identity, List.of(IpPrefix.parse(address + "/24")), new InetSocketAddress("198.18.0.2", 40000),
                new Traffic(in, 2, out, 3, 1), NOW.minusSeconds(2), Duration.ofMillis(5), false);
    }

    private static String text(ClientStatus client, ServerStatus server, List<SessionInfo> sessions) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, Metrics.snapshots(client, server, sessions, HEAP, NON_HEAP, NOW),
                EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aServerShowsBytesPerIdentityHandshakesDropsAndPoolUse() throws Exception {
        ServerStatus st = new ServerStatus(true, "0.0.0.0:23232", "dtls", NOW.minusSeconds(60), 3, 253, 3, 4, 0,
                Map.of("handshakes.ok", 3L, "handshakes.failed", 1L, "dropped.forged", 2L));
        String t = text(null, st, List.of(session("alice", "10.7.0.2", 1000, 2000), session("alice", "10.7.0.3", 1, 2),
                session("bob", "10.7.0.4", 5, 6)));
        List<String> lines = t.lines().toList();
        assertTrue(lines.contains("minivpn_session_bytes_total{direction=\"in\",identity=\"alice\"} 1001.0"), t);
        assertTrue(lines.contains("minivpn_session_bytes_total{direction=\"out\",identity=\"alice\"} 2002.0"), t);
        assertTrue(lines.contains("minivpn_session_bytes_total{direction=\"in\",identity=\"bob\"} 5.0"), t);
        assertTrue(lines.contains("minivpn_session_packets_total{direction=\"out\",identity=\"bob\"} 3.0"), t);
        assertTrue(lines.contains("minivpn_handshakes_total{result=\"ok\"} 3.0"), t);
        assertTrue(lines.contains("minivpn_handshakes_total{result=\"failed\"} 1.0"), t);
        assertTrue(lines.contains("minivpn_transport_dropped_total{reason=\"forged\"} 2.0"), t);
        assertTrue(lines.contains("minivpn_server_unrouted_dropped_total 4.0"), t);
        assertTrue(lines.contains("minivpn_pool_addresses_in_use 3.0"), t);
        assertTrue(lines.contains("minivpn_server_sessions 3.0"), t);
        assertTrue(lines.contains("minivpn_session_rtt_seconds{identity=\"bob\"} 0.005"), t);
        assertTrue(lines.contains("# TYPE minivpn_session_bytes_total counter"), t);
        assertTrue(lines.contains("jvm_memory_used_bytes{area=\"heap\"} 1000.0"), t);
    }

    @Test
    void anIdentityIsEscapedAsALabelValue() throws Exception {
        ServerStatus st = new ServerStatus(true, "0.0.0.0:23232", "dtls", NOW, 1, 253, 1, 0, 0, Map.of());
        String t = text(null, st, List.of(session("evil\"}\nx 1", "10.7.0.2", 7, 8)));
        assertTrue(t.lines().anyMatch(l -> l.equals("minivpn_session_bytes_total{direction=\"in\",identity=\"evil\\\"}\\nx 1\"} 7.0")), t);
        assertTrue(t.lines().noneMatch(l -> l.startsWith("x 1")), "a certificate name cannot add a line: " + t);
    }

    @Test
    void aClientShowsItsStateTrafficRttAndReconnects() throws Exception {
        ClientStatus c = new ClientStatus(ClientState.CONNECTED, "198.18.0.1:23232", List.of(IpPrefix.parse("10.7.0.2/24")),
                "dtls", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", new Traffic(300, 3, 400, 4, 1), Duration.ofMillis(12),
                NOW.minusSeconds(90), 2, NOW.minusSeconds(90), List.of(), true, 0, 0, false, "jca");
        List<String> lines = text(c, null, List.of()).lines().toList();
        assertTrue(lines.contains("minivpn_client_state{state=\"connected\"} 1.0"), lines.toString());
        assertTrue(lines.contains("minivpn_client_state{state=\"disconnected\"} 0.0"), lines.toString());
        assertTrue(lines.contains("minivpn_client_bytes_total{direction=\"in\"} 300.0"), lines.toString());
        assertTrue(lines.contains("minivpn_client_reconnects_total 2.0"), lines.toString());
        assertTrue(lines.contains("minivpn_client_rtt_seconds 0.012"), lines.toString());
        assertTrue(lines.contains("minivpn_client_uptime_seconds 90.0"), lines.toString());
        assertEquals(0, lines.stream().filter(l -> l.startsWith("minivpn_server")).count(), "no server, no server lines");
    }
}

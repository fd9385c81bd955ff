package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;

/** The page's JSON: the relay's figures under the page's names, and text that cannot break out. */
class PageStateTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void theSessionsAndTheServerAreTheRelaysFigures() {
        SessionInfo alice = new SessionInfo("alice", List.of(IpPrefix.parse("10.7.0.2/24")),
                new InetSocketAddress("198.18.0.2", 40000), new Traffic(1234, 5, 678, 9, 1), NOW.minusSeconds(3),
                Duration.ofMillis(7), false);
        ServerStatus st = new ServerStatus(true, "0.0.0.0:23232", "dtls", NOW.minusSeconds(60), 1, 253, 1, 0, 0,
                Map.of("handshakes.ok", 1L));
        String json = PageState.json(null, st, List.of(alice), new Throughput.Point(5000, 1.5, 2, 0, 0),
                List.of(new Roles.BundleRow(3, "org.minivpn.relay", "0.1.0", "active")),
                List.of(new Roles.RoleRow("transport", "dtls", "org.minivpn.transport.dtls", 100, List.of("org.minivpn.relay"))),
                NOW);
        assertTrue(json.contains("\"sessions\":[{\"identity\":\"alice\",\"tunnel\":[\"10.7.0.2\"],\"endpoint\":\"198.18.0.2:40000\","
                + "\"mode\":\"control\",\"bytes_in\":1234,\"bytes_out\":678,\"packets_in\":5,\"packets_out\":9,\"dropped\":1,"
                + "\"rtt_ms\":7,\"last_seen_s\":3}]"), json);
        assertTrue(json.contains("\"server\":{\"running\":true,\"endpoint\":\"0.0.0.0:23232\",\"transport\":\"dtls\","
                + "\"uptime_s\":60,\"sessions\":1,\"pool_size\":253,\"pool_in_use\":1"), json);
        assertTrue(json.contains("\"counters\":{\"handshakes.ok\":1}"), json);
        assertTrue(json.contains("\"rate\":[5000,1.5,2,0,0]"), json);
        assertTrue(json.contains("\"roles\":[{\"role\":\"transport\",\"name\":\"dtls\",\"bundle\":\"org.minivpn.transport.dtls\","
                + "\"ranking\":100,\"used_by\":[\"org.minivpn.relay\"]}]"), json);
        assertTrue(!json.contains("\"client\""), "no client service, no client object");
    }

    @Test
    void stringsCannotEndTheirStringTheObjectOrAScript() {
        String json = new Json().begin().field("identity", "a\"b\\c\n</script><x>&").end().toString();
        assertEquals("{\"identity\":\"a\\\"b\\\\c\\n\\u003c/script\\u003e\\u003cx\\u003e\\u0026\"}", json);
    }
}

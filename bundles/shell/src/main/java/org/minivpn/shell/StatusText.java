package org.minivpn.shell;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;

/**
 * How {@code vpn:status} and {@code vpn:sessions} show the relay's snapshots: one {@code key value}
 * line per fact, and one row per session. Times are measured from a given {@code now}, so the text
 * depends on nothing but its arguments.
 */
final class StatusText {

    /** The {@code ipv6} line of a client whose tunnel has no IPv6 address. */
    static final String IPV6_BLOCKED = "blocked (the server pushes no IPv6 address; nothing leaves outside the tunnel)";

    /** The {@code mode} line of a client that speaks plainly to its server. */
    static final String PLAIN_CLIENT = "plain (IP packets only, no control messages: no pushed routes, keepalives or RTT)";

    private StatusText() {
    }

    /** The client's lines of {@code vpn:status}. */
    static String client(ClientStatus s, Instant now) {
        StringBuilder out = new StringBuilder();
        line(out, "state", s.state().name() + " since " + s.since());
        line(out, "server", s.server());
        line(out, "tunnel", join(s.tunnelAddresses()));
        line(out, "ipv6", ipv6(s));
        if (s.plain()) {
            line(out, "mode", PLAIN_CLIENT);
        }
        line(out, "transport", s.transport());
        line(out, "cipher", s.cipherSuite());
        line(out, "crypto", s.cryptoBackend().isEmpty() ? "" : s.cryptoBackend() + " backend");
        line(out, "keys", s.keyedAt() == null ? "" : "made " + Duration.between(s.keyedAt(), now).toSeconds()
                + " s ago (a new session replaces them: rekey.records, rekey.seconds)");
        line(out, "traffic", traffic(s.traffic()));
        Duration up = s.connectedAt() == null ? null : Duration.between(s.connectedAt(), now);
        line(out, "rate", up == null || up.isZero() || up.isNegative() ? "" : rate(s.traffic(), up));
        line(out, "rtt", s.rtt() == null ? "" : String.format(Locale.ROOT, "%.2f ms", s.rtt().toNanos() / 1e6));
        line(out, "uptime", up == null ? "" : up.withNanos(0).toString().substring(2).toLowerCase());
        line(out, "reconnects", String.valueOf(s.reconnects()));
        if (s.relayFailures() > 0) {
            line(out, "failures", failures(s.relayFailures()));
        }
        return out.toString();
    }

    private static String ipv6(ClientStatus s) {
        if (s.tunnelAddresses().stream().anyMatch(a -> !a.isIpv4())) {
            return "through the tunnel";
        }
        if (s.ipv6Blocked()) {
            return IPV6_BLOCKED + (s.ipv6Dropped() == 0 ? "" : ", " + s.ipv6Dropped() + " packet(s) dropped");
        }
        return "";
    }

    /**
     * The server's lines of {@code vpn:status}: where it serves, its pool, its handshakes and what it
     * dropped. Transport counters that are 0 are left out of the drop line.
     */
    static String serving(ServerStatus s) {
        StringBuilder out = new StringBuilder();
        line(out, "serving", s.endpoint() + ", " + s.sessions() + " session(s); see vpn:sessions");
        line(out, "pool", s.poolInUse() + " of " + s.poolSize() + " address(es) in use");
        Map<String, Long> c = s.transportCounters();
        if (c.containsKey("handshakes.ok")) {
            line(out, "handshakes", "ok " + c.get("handshakes.ok") + ", failed " + count(c, "handshakes.failed")
                    + " (timed out " + count(c, "handshakes.timeout") + "), turned away: busy " + count(c, "handshakes.busy")
                    + ", rate limited " + count(c, "handshakes.rate_limited") + ", source limited "
                    + count(c, "handshakes.source_limited") + ", evicted " + count(c, "handshakes.evicted"));
        }
        StringBuilder dropped = new StringBuilder("unrouted " + s.unroutedDropped());
        c.forEach((key, n) -> {
            if (key.startsWith("dropped.") && n > 0) {
                dropped.append(", ").append(key.substring("dropped.".length()).replace('_', ' ')).append(' ').append(n);
            }
        });
        line(out, "dropped", dropped.toString());
        if (s.relayFailures() > 0) {
            line(out, "failures", failures(s.relayFailures()));
        }
        return out.toString();
    }

    private static long count(Map<String, Long> counters, String key) {
        return counters.getOrDefault(key, 0L);
    }

    private static String failures(long n) {
        return n + " unexpected relay failure(s), each survived; appliance.log has the first one's stack trace";
    }

    /** The table of {@code vpn:sessions}. */
    static String sessions(List<SessionInfo> all, Instant now) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-20s %-18s %-22s %-8s %-12s %-12s %-8s %s%n",
                "IDENTITY", "TUNNEL", "ENDPOINT", "MODE", "IN", "OUT", "RTT", "LAST SEEN"));
        int plain = 0;
        for (SessionInfo i : all) {
            plain += i.plain() ? 1 : 0;
            out.append(String.format(Locale.ROOT, "%-20s %-18s %-22s %-8s %-12s %-12s %-8s %s ago%n", i.identity(),
                    i.tunnelAddresses().isEmpty() ? "-" : i.tunnelAddresses().get(0).address().getHostAddress(),
                    i.remote().getAddress().getHostAddress() + ":" + i.remote().getPort(), i.plain() ? "plain" : "control",
                    bytes(i.traffic().bytesIn()), bytes(i.traffic().bytesOut()), i.rtt() == null ? "-" : i.rtt().toMillis() + "ms",
                    Duration.between(i.lastSeen(), now).toSeconds() + "s"));
        }
        out.append(all.size()).append(" session(s)");
        if (plain > 0) {
            out.append(", ").append(plain).append(" plain (IP packets only: no configuration, keepalives or RTT)");
        }
        return out.toString();
    }

    static String join(List<?> items) {
        return items.isEmpty() ? "" : String.join(" ", items.stream().map(Object::toString).toList());
    }

    static String traffic(Traffic t) {
        return "in " + bytes(t.bytesIn()) + " / " + t.packetsIn() + " pkts, out " + bytes(t.bytesOut()) + " / "
                + t.packetsOut() + " pkts, dropped " + t.dropped();
    }

    private static String rate(Traffic t, Duration over) {
        double seconds = over.toNanos() / 1e9;
        return String.format(Locale.ROOT, "in %.1f kbit/s, out %.1f kbit/s (average since connect)", t.bytesIn() * 8 / seconds / 1e3,
                t.bytesOut() * 8 / seconds / 1e3);
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(String.format(Locale.ROOT, "%-11s %s%n", key, value.isEmpty() ? "-" : value));
    }
}

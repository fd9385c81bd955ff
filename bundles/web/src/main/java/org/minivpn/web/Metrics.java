package org.minivpn.web;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.transport.TransportServer;

/**
 * The figures of {@code /metrics}, as Prometheus snapshots built from the relay's own snapshots (the
 * ones {@code vpn:status} and {@code vpn:sessions} print). Counter names follow Prometheus' naming
 * practice: a {@code minivpn_} prefix, base units (bytes, seconds), {@code _total} added by the writer.
 * Sessions are summed per identity, so that several sessions of one identity (duplicate.identity) are
 * one series and a label's values are bounded by the certificates the CA issued.
 */
final class Metrics {

    private Metrics() {
    }

    /** Everything, for one scrape; {@code client} and {@code server} are null when that service is missing. */
    static MetricSnapshots snapshots(ClientStatus client, ServerStatus server, List<SessionInfo> sessions,
            MemoryUsage heap, MemoryUsage nonHeap, Instant now) {
        List<MetricSnapshot> all = new ArrayList<>();
        if (client != null) {
            client(all, client, now);
        }
        if (server != null) {
            server(all, server, sessions);
        }
        GaugeSnapshot.Builder used = GaugeSnapshot.builder().name("jvm_memory_used_bytes").help("Used bytes of a memory area");
        GaugeSnapshot.Builder committed = GaugeSnapshot.builder().name("jvm_memory_committed_bytes")
                .help("Committed bytes of a memory area");
        GaugeSnapshot.Builder max = GaugeSnapshot.builder().name("jvm_memory_max_bytes")
                .help("Largest bytes a memory area may grow to, -1 when unbounded");
        for (Map.Entry<String, MemoryUsage> area : Map.of("heap", heap, "nonheap", nonHeap).entrySet()) {
            Labels l = Labels.of("area", area.getKey());
            used.dataPoint(gauge(area.getValue().getUsed(), l));
            committed.dataPoint(gauge(area.getValue().getCommitted(), l));
            max.dataPoint(gauge(area.getValue().getMax(), l));
        }
        all.add(used.build());
        all.add(committed.build());
        all.add(max.build());
        return new MetricSnapshots(all);
    }

    private static void client(List<MetricSnapshot> all, ClientStatus c, Instant now) {
        GaugeSnapshot.Builder state = GaugeSnapshot.builder().name("minivpn_client_state")
                .help("1 for the client's state, 0 for the others");
        for (ClientState s : ClientState.values()) {
            state.dataPoint(gauge(s == c.state() ? 1 : 0, Labels.of("state", s.name().toLowerCase())));
        }
        all.add(state.build());
        Traffic t = c.traffic();
        all.add(directions("minivpn_client_bytes", "Payload bytes through the tunnel since connect", t.bytesIn(), t.bytesOut(),
                Labels.EMPTY));
        all.add(directions("minivpn_client_packets", "Packets through the tunnel since connect", t.packetsIn(), t.packetsOut(),
                Labels.EMPTY));
        all.add(counter("minivpn_client_dropped", "Packets the client dropped since connect", t.dropped()));
        all.add(counter("minivpn_client_reconnects", "Sessions re-made since connect", c.reconnects()));
        all.add(counter("minivpn_client_relay_failures", "Unexpected failures of the relay thread, survived", c.relayFailures()));
        if (c.rtt() != null) {
            all.add(gauge("minivpn_client_rtt_seconds", "Last round-trip time to the server", seconds(c.rtt())));
        }
        if (c.connectedAt() != null) {
            all.add(gauge("minivpn_client_uptime_seconds", "Time since connect",
                    seconds(Duration.between(c.connectedAt(), now))));
        }
    }

    private static void server(List<MetricSnapshot> all, ServerStatus s, List<SessionInfo> sessions) {
        all.add(gauge("minivpn_server_up", "1 while the server serves", s.running() ? 1 : 0));
        if (!s.running()) {
            return;
        }
        all.add(gauge("minivpn_server_sessions", "Client sessions the server holds", s.sessions()));
        all.add(gauge("minivpn_pool_addresses", "IPv4 client addresses of the pool", s.poolSize()));
        all.add(gauge("minivpn_pool_addresses_in_use", "IPv4 client addresses sessions hold", s.poolInUse()));
        all.add(counter("minivpn_server_unrouted_dropped", "Packets from the TUN for an address no session holds",
                s.unroutedDropped()));
        all.add(counter("minivpn_server_relay_failures", "Unexpected failures of the relay thread, survived",
                s.relayFailures()));
        CounterSnapshot.Builder handshakes = CounterSnapshot.builder().name("minivpn_handshakes")
                .help("Handshakes by result: ok, failed (timeout included), timeout; and clients turned away: busy,"
                        + " rate_limited, source_limited, evicted; cookie: hellos answered with a cookie");
        CounterSnapshot.Builder dropped = CounterSnapshot.builder().name("minivpn_transport_dropped")
                .help("Datagrams or records the transport dropped, by reason");
        boolean anyHandshake = false;
        boolean anyDrop = false;
        for (Map.Entry<String, Long> e : s.transportCounters().entrySet()) {
            if (e.getKey().startsWith(TransportServer.HANDSHAKES)) {
                handshakes.dataPoint(counter(e.getValue(), Labels.of("result", e.getKey().substring(TransportServer.HANDSHAKES.length()))));
                anyHandshake = true;
            } else if (e.getKey().startsWith(TransportServer.DROPPED)) {
                dropped.dataPoint(counter(e.getValue(), Labels.of("reason", e.getKey().substring(TransportServer.DROPPED.length()))));
                anyDrop = true;
            }
        }
        if (anyHandshake) {
            all.add(handshakes.build());
        }
        if (anyDrop) {
            all.add(dropped.build());
        }
        Map<String, Traffic> byIdentity = new TreeMap<>();
        Map<String, Duration> rtt = new TreeMap<>();
        for (SessionInfo i : sessions) {
            byIdentity.merge(i.identity(), i.traffic(), Metrics::sum);
            if (i.rtt() != null) {
                rtt.merge(i.identity(), i.rtt(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("minivpn_session_bytes")
                .help("Payload bytes of an identity's sessions; in: from the client");
        CounterSnapshot.Builder packets = CounterSnapshot.builder().name("minivpn_session_packets")
                .help("Packets of an identity's sessions; in: from the client");
        CounterSnapshot.Builder drops = CounterSnapshot.builder().name("minivpn_session_dropped")
                .help("Packets of an identity's sessions dropped (spoofed source, no route, send failed)");
        byIdentity.forEach((identity, t) -> {
            bytes.dataPoint(counter(t.bytesIn(), Labels.of("direction", "in", "identity", identity)));
            bytes.dataPoint(counter(t.bytesOut(), Labels.of("direction", "out", "identity", identity)));
            packets.dataPoint(counter(t.packetsIn(), Labels.of("direction", "in", "identity", identity)));
            packets.dataPoint(counter(t.packetsOut(), Labels.of("direction", "out", "identity", identity)));
            drops.dataPoint(counter(t.dropped(), Labels.of("identity", identity)));
        });
        all.add(bytes.build());
        all.add(packets.build());
        all.add(drops.build());
        GaugeSnapshot.Builder rtts = GaugeSnapshot.builder().name("minivpn_session_rtt_seconds")
                .help("Last round-trip time to an identity's client (the longest of its sessions)");
        rtt.forEach((identity, d) -> rtts.dataPoint(gauge(seconds(d), Labels.of("identity", identity))));
        all.add(rtts.build());
    }

    private static Traffic sum(Traffic a, Traffic b) {
        return new Traffic(a.bytesIn() + b.bytesIn(), a.packetsIn() + b.packetsIn(), a.bytesOut() + b.bytesOut(),
                a.packetsOut() + b.packetsOut(), a.dropped() + b.dropped());
    }

    private static CounterSnapshot directions(String name, String help, long in, long out, Labels labels) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(counter(in, labels.add("direction", "in")))
                .dataPoint(counter(out, labels.add("direction", "out"))).build();
    }

    private static CounterSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help).dataPoint(counter(value, Labels.EMPTY)).build();
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(gauge(value, Labels.EMPTY)).build();
    }

    private static CounterDataPointSnapshot counter(long value, Labels labels) {
        return CounterDataPointSnapshot.builder().value(value).labels(labels).build();
    }

    private static GaugeDataPointSnapshot gauge(double value, Labels labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}

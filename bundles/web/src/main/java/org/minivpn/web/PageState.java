package org.minivpn.web;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * What the page shows, as one JSON object: the client's and the server's snapshots, the sessions, the
 * newest throughput point, the bundles and the roles. The figures are the relay's own snapshots, the
 * ones {@code vpn:status} and {@code vpn:sessions} print; only their layout is this class's.
 */
@Component(service = PageState.class)
public final class PageState {

    private final BundleContext context;
    private final Throughput throughput;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnClient client;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnServer server;

    @Activate
    public PageState(BundleContext context, @Reference Throughput throughput) {
        this.context = context;
        this.throughput = throughput;
    }

    /** The page's state now. */
    String json() {
        VpnClient c = client;
        VpnServer s = server;
        ServerStatus st = s == null ? null : s.status();
        return json(c == null ? null : c.status(), st, st == null || !st.running() ? List.of() : s.sessions(),
                throughput.latest(), Roles.bundles(context), Roles.roles(context), Instant.now());
    }

    /** The throughput points of the last five minutes, as a JSON array of [epoch ms, server in, server out, client in, client out]. */
    String history() {
        Json j = new Json().beginArray();
        for (Throughput.Point p : throughput.points()) {
            values(j.beginArray(), p).endArray();
        }
        return j.endArray().toString();
    }

    static String json(ClientStatus client, ServerStatus server, List<SessionInfo> sessions, Throughput.Point latest,
            List<Roles.BundleRow> bundles, List<Roles.RoleRow> roles, Instant now) {
        Json j = new Json().begin().field("now", now.toEpochMilli());
        if (client != null) {
            client(j.object("client"), client, now).end();
        }
        if (server != null) {
            server(j.object("server"), server, now).end();
        }
        j.beginArray("sessions");
        for (SessionInfo s : sessions) {
            j.begin().field("identity", s.identity()).field("tunnel", addresses(s.tunnelAddresses()))
                    .field("endpoint", s.remote().getAddress().getHostAddress() + ":" + s.remote().getPort())
                    .field("mode", s.plain() ? "plain" : "control");
            traffic(j, s.traffic()).field("rtt_ms", millis(s.rtt()))
                    .field("last_seen_s", (double) Math.max(0, Duration.between(s.lastSeen(), now).toSeconds())).end();
        }
        j.endArray();
        if (latest != null) {
            values(j.beginArray("rate"), latest).endArray();
        }
        j.beginArray("bundles");
        for (Roles.BundleRow b : bundles) {
            j.begin().field("id", b.id()).field("name", b.name()).field("version", b.version()).field("state", b.state()).end();
        }
        j.endArray().beginArray("roles");
        for (Roles.RoleRow r : roles) {
            j.begin().field("role", r.role()).field("name", r.name()).field("bundle", r.bundle()).field("ranking", r.ranking())
                    .field("used_by", r.usedBy()).end();
        }
        return j.endArray().end().toString();
    }

    private static Json client(Json j, ClientStatus c, Instant now) {
        j.field("state", c.state().name()).field("since", c.since().toString()).field("server", c.server())
                .field("tunnel", addresses(c.tunnelAddresses())).field("transport", c.transport())
                .field("cipher", c.cipherSuite()).field("crypto", c.cryptoBackend()).field("rtt_ms", millis(c.rtt()))
                .field("uptime_s", c.connectedAt() == null ? null : (double) Duration.between(c.connectedAt(), now).toSeconds())
                .field("reconnects", c.reconnects()).field("plain", c.plain()).field("ipv6_blocked", c.ipv6Blocked());
        return traffic(j, c.traffic());
    }

    private static Json server(Json j, ServerStatus s, Instant now) {
        return j.field("running", s.running()).field("endpoint", s.endpoint()).field("transport", s.transport())
                .field("uptime_s", s.since() == null ? null : (double) Duration.between(s.since(), now).toSeconds())
                .field("sessions", s.sessions()).field("pool_size", s.poolSize()).field("pool_in_use", s.poolInUse())
                .field("unrouted_dropped", s.unroutedDropped()).field("relay_failures", s.relayFailures())
                .field("counters", s.transportCounters());
    }

    private static Json traffic(Json j, Traffic t) {
        return j.field("bytes_in", t.bytesIn()).field("bytes_out", t.bytesOut()).field("packets_in", t.packetsIn())
                .field("packets_out", t.packetsOut()).field("dropped", t.dropped());
    }

    private static Json values(Json j, Throughput.Point p) {
        return j.value(p.epochMillis()).value(p.serverIn()).value(p.serverOut()).value(p.clientIn()).value(p.clientOut());
    }

    private static List<String> addresses(List<IpPrefix> prefixes) {
        return prefixes.stream().map(p -> p.address().getHostAddress()).toList();
    }

    private static Double millis(Duration d) {
        return d == null ? null : d.toNanos() / 1e6;
    }
}

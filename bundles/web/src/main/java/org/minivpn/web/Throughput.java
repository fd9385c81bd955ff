package org.minivpn.web;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The live throughput of the chart: once a second it reads the byte counters the relay reports
 * ({@link VpnServer#sessions()}, {@link VpnClient#status()}) and keeps the rates between two reads,
 * for the last {@link #POINTS} seconds. A session's first read is its baseline, so a session that
 * appears or goes away never shows as a spike or a negative rate.
 */
@Component(service = Throughput.class, immediate = true) // the chart has its five minutes when a page opens
public final class Throughput {

    /** Five minutes of one point a second. */
    static final int POINTS = 300;

    /** One second of traffic, in bytes per second, as the server (all sessions) and the client see it. */
    record Point(long epochMillis, double serverIn, double serverOut, double clientIn, double clientOut) {
    }

    private static final Logger LOG = System.getLogger(Throughput.class.getName());

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnServer server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnClient client;

    private final ArrayDeque<Point> points = new ArrayDeque<>(POINTS); // guarded by this
    private final Rates rates = new Rates(); // sampler thread only
    private ScheduledExecutorService sampler;

    @Activate
    void activate() {
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "web-throughput");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        sampler.shutdownNow();
        sampler.awaitTermination(2, TimeUnit.SECONDS);
    }

    private void sample() {
        try {
            VpnServer s = server;
            VpnClient c = client;
            List<SessionInfo> sessions = s == null ? List.of() : s.sessions();
            ClientStatus status = c == null ? null : c.status();
            Point p = rates.next(System.nanoTime(), System.currentTimeMillis(), sessions, status);
            if (p != null) {
                add(p);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reading the relay's counters failed; the chart skips this second: " + e);
        }
    }

    synchronized void add(Point p) {
        if (points.size() == POINTS) {
            points.removeFirst();
        }
        points.addLast(p);
    }

    /** The points of the last five minutes, oldest first. */
    synchronized List<Point> points() {
        return List.copyOf(points);
    }

    /** The newest point, or null before the second read. */
    synchronized Point latest() {
        return points.peekLast();
    }

    /** Rates between consecutive reads of the counters. One thread calls {@link #next}. */
    static final class Rates {

        private final Map<String, long[]> lastSession = new HashMap<>(); // key → {bytesIn, bytesOut}
        private long lastNanos;
        private boolean started;
        private Instant clientConnection;
        private long clientIn = -1;
        private long clientOut = -1;

        /** The rates since the previous call, or null on the first call. */
        Point next(long nanos, long epochMillis, List<SessionInfo> sessions, ClientStatus client) {
            double seconds = (nanos - lastNanos) / 1e9;
            long serverIn = 0;
            long serverOut = 0;
            Map<String, long[]> seen = new HashMap<>();
            for (SessionInfo s : sessions) {
                String key = s.identity() + "|" + s.remote() + "|" + s.tunnelAddresses();
                Traffic t = s.traffic();
                long[] before = lastSession.get(key);
                if (before != null) {
                    serverIn += Math.max(0, t.bytesIn() - before[0]);
                    serverOut += Math.max(0, t.bytesOut() - before[1]);
                }
                seen.put(key, new long[] {t.bytesIn(), t.bytesOut()});
            }
            lastSession.clear();
            lastSession.putAll(seen);
            long cIn = 0;
            long cOut = 0;
            if (client != null && client.connectedAt() != null) {
                Traffic t = client.traffic();
                if (client.connectedAt().equals(clientConnection) && clientIn >= 0) {
                    cIn = Math.max(0, t.bytesIn() - clientIn);
                    cOut = Math.max(0, t.bytesOut() - clientOut);
                }
                clientConnection = client.connectedAt();
                clientIn = t.bytesIn();
                clientOut = t.bytesOut();
            } else {
                clientConnection = null;
                clientIn = -1;
                clientOut = -1;
            }
            boolean first = !started;
            started = true;
            lastNanos = nanos;
            if (first || seconds <= 0) {
                return null;
            }
            return new Point(epochMillis, serverIn / seconds, serverOut / seconds, cIn / seconds, cOut / seconds);
        }
    }
}

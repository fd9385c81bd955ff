package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.Traffic;

/** The chart's rates from consecutive reads of the relay's counters. */
class ThroughputTest {

    private static final long SECOND = 1_000_000_000L;
    private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

    private static SessionInfo session(String identity, String address, long in, long out) {
        return new SessionInfo(identity, List.of(IpPrefix.parse(address + "/24")), new InetSocketAddress("198.18.0.2", 40000),
                new Traffic(in, 0, out, 0, 0), T0, null, false);
    }

    private static ClientStatus client(Instant connectedAt, long in, long out) {
        return new ClientStatus(ClientState.CONNECTED, "198.18.0.1:23232", List.of(), "dtls", "", new Traffic(in, 0, out, 0, 0),
                Duration.ofMillis(1), T0, 0, connectedAt, List.of(), false, 0, 0, false, "jca");
    }

    @Test
    void ratesAreBytesPerSecondBetweenReadsAndNewOrGoneSessionsMakeNoSpike() {
        Throughput.Rates r = new Throughput.Rates();
        assertNull(r.next(0, 0, List.of(session("a", "10.7.0.2", 1_000_000, 0)), null), "the first read is the baseline");
        Throughput.Point p = r.next(2 * SECOND, 2000, List.of(session("a", "10.7.0.2", 1_004_000, 600),
                session("b", "10.7.0.3", 9_000_000, 9_000_000)), null);
        assertEquals(2000.0, p.serverIn(), 1e-9, "4000 bytes in 2 s; b's first read is its baseline");
        assertEquals(300.0, p.serverOut(), 1e-9);
        Throughput.Point gone = r.next(3 * SECOND, 3000, List.of(session("b", "10.7.0.3", 9_000_100, 9_000_000)), null);
        assertEquals(100.0, gone.serverIn(), 1e-9, "a went away: no negative rate");
        assertEquals(0.0, gone.serverOut(), 1e-9);
    }

    @Test
    void aClientsNewConnectionStartsFromItsOwnBaseline() {
        Throughput.Rates r = new Throughput.Rates();
        r.next(0, 0, List.of(), client(T0, 100, 100));
        Throughput.Point p = r.next(SECOND, 1000, List.of(), client(T0, 1100, 600));
        assertEquals(1000.0, p.clientIn(), 1e-9);
        assertEquals(500.0, p.clientOut(), 1e-9);
        Throughput.Point reconnected = r.next(2 * SECOND, 2000, List.of(), client(T0.plusSeconds(5), 10, 10));
        assertEquals(0.0, reconnected.clientIn(), 1e-9, "counters that restarted are a new baseline");
    }

    @Test
    void fiveMinutesOfPointsAreKept() {
        Throughput t = new Throughput();
        for (int i = 0; i < Throughput.POINTS + 20; i++) {
            t.add(new Throughput.Point(i, i, 0, 0, 0));
        }
        assertEquals(Throughput.POINTS, t.points().size());
        assertEquals(20, t.points().get(0).epochMillis(), "the oldest went first");
        assertEquals(Throughput.POINTS + 19, t.latest().epochMillis());
    }
}

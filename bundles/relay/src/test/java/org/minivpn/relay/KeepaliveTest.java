package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.relay.Keepalive.Due;

/** The dead-peer rules of {@link Keepalive} on a clock the test moves, 100 ms per tick. */
class KeepaliveTest {

    private static final long MS = 1_000_000L;

    private static Keepalive keepalive(boolean plain) {
        ClientSettings s = new ClientSettings(null, List.of(), 1400, false, false, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(2), plain,
                Duration.ofSeconds(180), DeadPeer.DEFAULT, Duration.ofSeconds(2));
        Keepalive k = new Keepalive(s);
        k.apply(PushedConfig.parse(Map.of("address", List.of("10.7.0.2/24"), "keepalive", List.of("10000"),
                "timeout", List.of("60000")), s));
        return k;
    }

    /** Runs ticks from {@code from} to {@code to} ms; returns how many PINGs and the time of DEAD, or -1. */
    private static long[] run(Keepalive k, long from, long to, long[] sent) {
        long pings = 0;
        for (long t = from; t <= to; t += 100) {
            Due d = k.due(t * MS, sent[0]);
            if (d == Due.PING) {
                pings++;
            } else if (d == Due.DEAD) {
                return new long[] {pings, t};
            }
        }
        return new long[] {pings, -1};
    }

    @Test
    void unansweredDataStartsProbingAfterASecondAndEndsTheSessionAFewSecondsLater() {
        Keepalive k = keepalive(false);
        k.heard(0);
        long[] sent = {0};
        assertEquals(Due.PING, k.due(0, 0), "the regular keepalive ping of a new session");
        sent[0] = 1; // data goes out at 1 s, and nothing comes back
        assertEquals(Due.NOTHING, k.due(1000 * MS, sent[0]));
        long[] r = run(k, 1100, 10_000, sent);
        assertEquals(4500, r[1], "dead 1 s + 2.5 s after the unanswered data");
        assertEquals(5, r[0], "five probes, 500 ms apart");
        assertTrue(k.silence().contains("dead peer"), k.silence());
    }

    @Test
    void anyRecordFromTheServerStopsTheProbing() {
        Keepalive k = keepalive(false);
        k.heard(0);
        long[] sent = {1};
        k.due(0, 0);
        k.due(100 * MS, sent[0]);
        long[] r = run(k, 200, 2000, sent);
        assertEquals(-1, r[1]);
        k.heard(2050 * MS); // a PONG came back
        r = run(k, 2100, 9000, sent);
        assertEquals(-1, r[1], "the server answered: no dead peer while no new data goes out");
        assertEquals(0, r[0]);
    }

    @Test
    void aServerThatAnswersSomethingEachSecondIsNeverDeclaredDead() {
        Keepalive k = keepalive(false);
        k.heard(0);
        long[] sent = {0};
        for (long t = 0; t <= 30_000; t += 100) {
            sent[0]++; // data all the time, e.g. a one-way stream
            if (t % 1000 == 0) {
                k.heard(t * MS); // PONGs to the probes
            }
            assertTrue(k.due(t * MS, sent[0]) != Due.DEAD, "dead at " + t + " ms");
        }
    }

    @Test
    void anIdleClientWaitsForTheTimeout() {
        Keepalive k = keepalive(false);
        k.heard(0);
        long[] sent = {0};
        long[] r = run(k, 0, 70_000, sent);
        assertEquals(60_100, r[1], "without data only the 60 s timeout applies");
    }

    @Test
    void aPlainServerIsNeverPingedAndIsDeadAfterFifteenSecondsOfUnansweredData() {
        Keepalive k = keepalive(true);
        k.heard(0);
        long[] sent = {0};
        assertEquals(-1, run(k, 0, 20_000, sent)[1], "idle: no verdict");
        sent[0] = 1;
        long[] r = run(k, 20_100, 60_000, sent);
        assertEquals(0, r[0], "a plain server is never pinged");
        assertEquals(35_200, r[1]);
        assertTrue(k.silence().contains("plain.silence.seconds"), k.silence());
    }
}

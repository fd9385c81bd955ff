package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The reconnect pace: short enough to be back within seconds of the server, never faster than a try a second. */
class BackoffTest {

    @Test
    void theDefaultCeilingKeepsTriesBetweenOneAndTwoAndAHalfSecondsApartForever() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2));
        long first = b.nextDelayMillis();
        assertTrue(first >= 800 && first <= 1200, "first " + first);
        for (int i = 0; i < 1000; i++) {
            long d = b.nextDelayMillis();
            assertTrue(d >= 1600 && d <= 2400, "try " + i + ": " + d);
        }
        b.reset();
        long again = b.nextDelayMillis();
        assertTrue(again >= 800 && again <= 1200, "after a reset " + again);
    }

    @Test
    void theJitterSpreadsClientsThatLostTheSameServerAtOnce() {
        Backoff b = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(2));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 1000; i++) {
            long d = b.nextDelayMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertTrue(max - min > 400, "spread " + min + ".." + max);
    }
}

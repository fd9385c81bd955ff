package org.minivpn.relay;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with ±20 % jitter: 1 s, 2 s, 4 s, … up to a ceiling. Not thread-safe. */
final class Backoff {

    private final long firstMillis;
    private final long maxMillis;
    private long nextMillis;

    Backoff(Duration first, Duration max) {
        this.firstMillis = Math.max(1, first.toMillis());
        this.maxMillis = Math.max(firstMillis, max.toMillis());
        this.nextMillis = firstMillis;
    }

    /** The next delay to wait, each one about twice the last, never past the ceiling (plus jitter). */
    long nextDelayMillis() {
        long base = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        long jitter = base / 5;
        return base - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1);
    }

    void reset() {
        nextMillis = firstMillis;
    }
}

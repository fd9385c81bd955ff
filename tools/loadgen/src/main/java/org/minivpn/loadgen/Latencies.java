package org.minivpn.loadgen;

import java.util.Arrays;

/** Durations of one kind, in nanoseconds, and their percentiles. Safe for many threads. */
final class Latencies {

    private long[] nanos = new long[64];
    private int count;

    synchronized void add(long value) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = value;
    }

    synchronized int count() {
        return count;
    }

    /**
     * The nearest-rank percentile: the smallest value that at least {@code percent} % of all are
     * less than or equal to; 0 when there are none.
     *
     * @param percent 0 (exclusive) to 100 (inclusive)
     */
    synchronized long percentile(double percent) {
        if (percent <= 0 || percent > 100) {
            throw new IllegalArgumentException("percent must be in (0, 100]: " + percent);
        }
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100 * count);
        return sorted[Math.max(1, rank) - 1];
    }

    /** p50, p99 and max in milliseconds, for a human. */
    synchronized String summary() {
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", millis(percentile(50)), millis(percentile(99)),
                millis(percentile(100)));
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }
}

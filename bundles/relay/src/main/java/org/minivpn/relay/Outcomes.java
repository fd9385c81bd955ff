package org.minivpn.relay;

import java.util.function.BooleanSupplier;

/**
 * What the last of a series of asynchronous tries came to (the client's session moves), for a caller
 * that asked for one and waits for its end with a bounded wait. Thread-safe.
 */
final class Outcomes {

    private long count;
    private String last;

    /** How many outcomes were told so far; pass it to {@link #awaitAfter}. */
    synchronized long count() {
        return count;
    }

    /** One try ended so. */
    synchronized void add(String outcome) {
        last = outcome;
        count++;
        notifyAll();
    }

    /**
     * The first outcome told after {@code before} of them, waiting at most until {@code deadlineNanos}
     * (System.nanoTime) and while {@code going} holds; null when none came.
     */
    synchronized String awaitAfter(long before, long deadlineNanos, BooleanSupplier going) throws InterruptedException {
        while (count == before) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !going.getAsBoolean()) {
                return null;
            }
            wait(Math.max(1, Math.min(left / 1_000_000, 200)));
        }
        return last;
    }
}

package org.minivpn.testsupport;

import java.lang.management.ManagementFactory;

/**
 * The steady-state allocation of a packet path, from the JVM's per-thread allocation counters
 * ({@code com.sun.management.ThreadMXBean}). Noise only ever adds bytes: a JIT compilation or
 * deoptimisation that runs a path interpreted for a while, a class loaded or a cache made on first
 * use, a GC that moves a thread to a new allocation buffer. So a path is first run to warm it up,
 * then measured in several samples, and the least sample is taken as its steady state. A path that
 * allocates an object of its own per packet (16 bytes at least) shows it in every sample, so the
 * least sample still catches it; the bounds the tests compare it with state their own margin.
 */
public final class Allocations {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** One call of the measured path; {@code i} counts every call, warm-up included (for nonces). */
    @FunctionalInterface
    public interface Call {
        void run(long i) throws Exception;
    }

    /** One sample of a measurement that is more than one call on this thread. */
    @FunctionalInterface
    public interface Sample {
        double measure() throws Exception;
    }

    private Allocations() {
    }

    /** Bytes {@code thread} has allocated since it started. */
    public static long allocatedBy(Thread thread) {
        return THREADS.getThreadAllocatedBytes(thread.getId());
    }

    /**
     * Bytes the calling thread allocates per call of {@code call} in steady state: after
     * {@code warmup} calls, the least over {@code samples} samples of {@code calls} calls each.
     */
    public static double perCall(int warmup, int calls, int samples, Call call) throws Exception {
        long[] next = {0}; // counts every call, so that each gets its own i
        for (int n = 0; n < warmup; n++) {
            call.run(next[0]++);
        }
        Thread self = Thread.currentThread();
        return least(samples, () -> {
            long start = allocatedBy(self);
            for (int n = 0; n < calls; n++) {
                call.run(next[0]++);
            }
            return (double) (allocatedBy(self) - start) / calls;
        });
    }

    /** The least of {@code samples} runs of {@code sample}: the steady state of a noisy measurement. */
    public static double least(int samples, Sample sample) throws Exception {
        if (samples < 1) {
            throw new IllegalArgumentException("at least one sample, not " + samples);
        }
        double least = Double.MAX_VALUE;
        for (int s = 0; s < samples; s++) {
            least = Math.min(least, sample.measure());
        }
        return least;
    }
}

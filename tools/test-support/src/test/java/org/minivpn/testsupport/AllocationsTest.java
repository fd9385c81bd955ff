package org.minivpn.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The least sample is the steady state; an object per call still shows. */
class AllocationsTest {

    private static volatile Object sink;

    @Test
    void aPathThatAllocatesNothingMeasuresNearZeroAndOneThatAllocatesPerCallShowsIt() throws Exception {
        long[] counter = new long[1];
        double nothing = Allocations.perCall(20_000, 20_000, 3, i -> counter[0] += i);
        assertTrue(nothing < 1, "a path without new: " + nothing + " B/call");

        double arrays = Allocations.perCall(20_000, 20_000, 3, i -> sink = new byte[64]);
        assertTrue(arrays >= 64, "a 64-byte array per call: " + arrays + " B/call");
    }

    @Test
    void theLeastSampleIsTaken() throws Exception {
        double[] values = {7, 3, 5};
        int[] n = {0};
        assertEquals(3, Allocations.least(3, () -> values[n[0]++]));
    }
}

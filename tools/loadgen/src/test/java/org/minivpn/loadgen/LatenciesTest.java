package org.minivpn.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatenciesTest {

    @Test
    void nearestRankPercentiles() {
        Latencies l = new Latencies();
        for (int i = 100; i >= 1; i--) { // out of order, and more than the first array holds
            l.add(i);
        }
        assertEquals(100, l.count());
        assertEquals(50, l.percentile(50));
        assertEquals(99, l.percentile(99));
        assertEquals(100, l.percentile(100));
        assertEquals(1, l.percentile(0.5));
    }

    @Test
    void emptyAndOutOfRange() {
        Latencies l = new Latencies();
        assertEquals(0, l.percentile(99));
        assertThrows(IllegalArgumentException.class, () -> l.percentile(0));
        assertThrows(IllegalArgumentException.class, () -> l.percentile(101));
    }
}

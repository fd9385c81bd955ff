package org.minivpn.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TallyTest {

    @Test
    void countsReasonsMostFrequentFirst() {
        Tally t = new Tally();
        t.add("b");
        t.add("a");
        t.add("b");
        t.add("c");
        assertEquals(4, t.total());
        assertEquals(List.of("2 × b", "1 × a", "1 × c"), t.lines());
    }
}

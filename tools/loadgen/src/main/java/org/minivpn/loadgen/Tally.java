package org.minivpn.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** How many times each reason was counted. Safe for many threads. */
final class Tally {

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    void add(String reason) {
        counts.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    long total() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** "COUNT × REASON" lines, the most frequent first. */
    List<String> lines() {
        List<Map.Entry<String, Long>> all = new ArrayList<>();
        counts.forEach((reason, n) -> all.add(Map.entry(reason, n.sum())));
        all.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : all) {
            out.add(e.getValue() + " × " + e.getKey());
        }
        return out;
    }
}

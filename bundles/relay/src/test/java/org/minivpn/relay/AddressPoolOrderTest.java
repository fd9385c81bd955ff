package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;

/**
 * The pool's order of hand-out and its quarantine with thousands of slots, where it no longer scans:
 * checked against a model that scans every slot for each allocation, as the rules are written.
 */
class AddressPoolOrderTest {

    private static final long SECOND = 1_000_000_000L;

    private long now = 1_000 * SECOND;

    private AddressPool<Object> pool(String prefix, Map<String, InetAddress> statics) {
        return new AddressPool<>(IpPrefix.parse(prefix), null, statics, Duration.ofSeconds(60), () -> now);
    }

    @Test
    void thousandsOfReleasesComeBackOldestFirstOnceTheirQuarantineIsOver() {
        AddressPool<Object> p = pool("10.64.0.0/20", Map.of());
        int n = p.clientAddresses();
        Object[] owner = new Object[n + 3];
        for (int i = 0; i < n; i++) {
            owner[2 + i] = new Object();
            assertEquals(2 + i, p.allocate("c" + i, owner[2 + i]), "never used ones first, lowest first");
        }
        int[] order = new int[n];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            order[i] = 2 + i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < n; i++) {
            p.release(order[i], owner[order[i]]);
            now += 10_000_000L; // 10 ms apart: 40 s for all 4,093
        }
        assertEquals(AddressPool.QUARANTINED, p.allocate("new", new Object()), "the first release is 40 s old");
        now += 20 * SECOND;
        int fresh = 0;
        for (int i = 0; i < n; i++) {
            int slot = p.allocate("new" + i, new Object());
            if (slot == AddressPool.QUARANTINED) {
                break;
            }
            assertEquals(order[i], slot, "release " + i + " comes back in its turn");
            fresh++;
        }
        assertTrue(fresh > 0 && fresh < n, "only the releases older than 60 s: " + fresh);
        assertEquals(order[n - 1], p.allocate("c" + (order[n - 1] - 2), new Object()),
                "an identity gets its own back out of the quarantine, from the end of the line");
    }

    @Test
    void anIdentityThatLeftSeveralAddressesGetsTheNewestFreeOneBack() {
        AddressPool<Object> p = pool("10.64.0.0/22", Map.of());
        Object a1 = new Object();
        Object a2 = new Object();
        Object a3 = new Object();
        assertEquals(2, p.allocate("alice", a1));
        assertEquals(3, p.allocate("alice", a2));
        assertEquals(4, p.allocate("alice", a3));
        p.release(2, a1);
        p.release(4, a3);
        p.release(3, a2); // newest
        assertEquals(3, p.allocate("alice", new Object()));
        assertEquals(4, p.request(AddressPool.toInt(IpPrefix.parseAddress("10.64.0.4")), "alice", new Object()),
                "taken from the middle of its list");
        assertEquals(2, p.allocate("alice", new Object()), "the last one it left");
        assertEquals(5, p.allocate("alice", new Object()), "then a never used one");
    }

    /** Thousands of random events, each answered as the model that scans the pool answers it. */
    @Test
    void randomEventsOnABigPoolAreAnsweredAsAScanOfEverySlotWould() {
        Map<String, InetAddress> statics = new HashMap<>();
        statics.put("static-0", IpPrefix.parseAddress("10.64.0.9"));
        statics.put("static-1", IpPrefix.parseAddress("10.64.3.200"));
        AddressPool<Object> p = pool("10.64.0.0/22", statics);
        ScanModel model = new ScanModel(1024, Map.of(9, "static-0", 968, "static-1"), 60 * SECOND);
        SplittableRandom random = new SplittableRandom(42);
        List<Object> holders = new ArrayList<>();
        List<Integer> held = new ArrayList<>();
        for (int event = 0; event < 60_000; event++) {
            now += random.nextInt(50) * 1_000_000L;
            int kind = random.nextInt(10);
            String identity = random.nextInt(20) == 0 ? "" : random.nextInt(10) == 0 ? "static-" + random.nextInt(2)
                    : "c" + random.nextInt(1500);
            if (kind < 5 || held.isEmpty()) {
                Object o = new Object();
                int expected = model.allocate(identity, now);
                assertEquals(expected, p.allocate(identity, o), "event " + event + ": allocate for '" + identity + "'");
                if (expected >= 0) {
                    holders.add(o);
                    held.add(expected);
                }
            } else if (kind < 9) {
                int i = random.nextInt(held.size());
                p.release(held.get(i), holders.get(i));
                model.release(held.get(i), now);
                held.remove(i);
                holders.remove(i);
            } else {
                int slot = 2 + random.nextInt(1021);
                Object o = new Object();
                int expected = model.request(slot, identity, now);
                assertEquals(expected, p.request(p.address4(slot), identity, o), "event " + event + ": request " + slot);
                if (expected >= 0) {
                    holders.add(o);
                    held.add(expected);
                }
            }
        }
    }

    /** The rules as {@link AddressPool} documents them, by a scan of every slot. */
    private static final class ScanModel {
        final int slots;
        final Map<Integer, String> reservedFor;
        final long quarantine;
        final boolean[] taken;
        final String[] lastHolder;
        final long[] releasedAt;
        final long[] releaseOrder;
        long releases;

        ScanModel(int slots, Map<Integer, String> reservedFor, long quarantine) {
            this.slots = slots;
            this.reservedFor = reservedFor;
            this.quarantine = quarantine;
            taken = new boolean[slots];
            lastHolder = new String[slots];
            releasedAt = new long[slots];
            releaseOrder = new long[slots];
        }

        int allocate(String identity, long now) {
            for (Map.Entry<Integer, String> e : reservedFor.entrySet()) {
                if (e.getValue().equals(identity)) {
                    return claim(e.getKey(), identity) ? e.getKey() : AddressPool.STATIC_IN_USE;
                }
            }
            int own = -1;
            int oldest = -1;
            boolean quarantined = false;
            for (int i = 2; i < slots - 1; i++) {
                if (taken[i] || reservedFor.containsKey(i)) {
                    continue;
                }
                String last = lastHolder[i];
                if (last != null && !identity.isEmpty() && last.equals(identity)) {
                    if (own < 0 || releaseOrder[i] > releaseOrder[own]) {
                        own = i;
                    }
                } else if (last != null && now - releasedAt[i] < quarantine) {
                    quarantined = true;
                } else if (oldest < 0 || releaseOrder[i] < releaseOrder[oldest]) {
                    oldest = i;
                }
            }
            int slot = own >= 0 ? own : oldest;
            if (slot < 0) {
                return quarantined ? AddressPool.QUARANTINED : AddressPool.EXHAUSTED;
            }
            claim(slot, identity);
            return slot;
        }

        int request(int slot, String identity, long now) {
            String r = reservedFor.get(slot);
            if (r != null && !r.equals(identity)) {
                return AddressPool.RESERVED;
            }
            if (taken[slot]) {
                return AddressPool.IN_USE;
            }
            String last = lastHolder[slot];
            if (last != null && (identity.isEmpty() || !last.equals(identity)) && now - releasedAt[slot] < quarantine) {
                return AddressPool.QUARANTINED;
            }
            claim(slot, identity);
            return slot;
        }

        void release(int slot, long now) {
            taken[slot] = false;
            releasedAt[slot] = now;
            releaseOrder[slot] = ++releases;
        }

        private boolean claim(int slot, String identity) {
            if (taken[slot]) {
                return false;
            }
            taken[slot] = true;
            lastHolder[slot] = identity;
            return true;
        }
    }
}

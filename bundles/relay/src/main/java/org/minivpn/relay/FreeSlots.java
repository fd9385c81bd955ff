package org.minivpn.relay;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The free slots of an {@link AddressPool} in the order it hands them out, so that it finds the
 * next one in O(1) rather than by a scan of the pool: one list of every free slot, oldest release
 * first (never used ones before all others, lowest first, as they start out), and for each identity
 * the list of the free slots it held last, newest release last. Both are doubly linked through int
 * arrays indexed by slot, so a slot taken out of the middle (a peer asking for its old address)
 * costs O(1) and nothing is allocated but the map's entries, one per identity that left a free slot
 * behind: bounded by the pool's size, however many identities come and go.
 *
 * <p>Not thread-safe: the pool guards it with its own lock.
 */
final class FreeSlots {

    private static final int NONE = -1;

    private final int[] prev;
    private final int[] next;
    private final int[] ownPrev;
    private final int[] ownNext;
    private final boolean[] listed;
    private final Map<String, Integer> newestOf = new HashMap<>(); // identity → its newest free slot
    private int head = NONE;
    private int tail = NONE;

    FreeSlots(int slots) {
        prev = new int[slots];
        next = new int[slots];
        ownPrev = new int[slots];
        ownNext = new int[slots];
        listed = new boolean[slots];
        Arrays.fill(ownPrev, NONE);
        Arrays.fill(ownNext, NONE);
    }

    /**
     * Files {@code slot}, just freed, as the newest; {@code holder} held it last (null for never,
     * "" for nobody: such a slot is on no identity's list).
     */
    void append(int slot, String holder) {
        if (listed[slot]) {
            throw new IllegalStateException("slot " + slot + " is free already");
        }
        listed[slot] = true;
        prev[slot] = tail;
        next[slot] = NONE;
        if (tail == NONE) {
            head = slot;
        } else {
            next[tail] = slot;
        }
        tail = slot;
        if (holder != null && !holder.isEmpty()) {
            Integer newest = newestOf.put(holder, slot);
            int last = newest == null ? NONE : newest;
            ownPrev[slot] = last;
            ownNext[slot] = NONE;
            if (last != NONE) {
                ownNext[last] = slot;
            }
        }
    }

    /** Takes {@code slot} off both lists, wherever it is in them; {@code holder} as it was given to {@link #append}. */
    void remove(int slot, String holder) {
        if (!listed[slot]) {
            return;
        }
        listed[slot] = false;
        int p = prev[slot];
        int n = next[slot];
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        if (holder != null && !holder.isEmpty()) {
            int op = ownPrev[slot];
            int on = ownNext[slot];
            if (on == NONE) {
                if (op == NONE) {
                    newestOf.remove(holder);
                } else {
                    newestOf.put(holder, op);
                }
            } else {
                ownPrev[on] = op;
            }
            if (op != NONE) {
                ownNext[op] = on;
            }
            ownPrev[slot] = NONE;
            ownNext[slot] = NONE;
        }
    }

    /** True when {@code slot} is on the list. */
    boolean contains(int slot) {
        return listed[slot];
    }

    /** The free slot released longest ago (never used ones first, lowest first), or -1 when none is free. */
    int oldest() {
        return head;
    }

    /** The free slot {@code identity} released last, or -1 when it left none free. */
    int newestOf(String identity) {
        Integer slot = newestOf.get(identity);
        return slot == null ? NONE : slot;
    }

    /** How many identities have a free slot they held last (the memory this costs). */
    int identities() {
        return newestOf.size();
    }
}

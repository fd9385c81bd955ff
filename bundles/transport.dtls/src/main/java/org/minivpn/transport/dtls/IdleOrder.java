package org.minivpn.transport.dtls;

import java.util.Arrays;

/**
 * A server's sessions, the one heard from longest ago first, so that the idle check looks at the
 * sessions that may have gone idle and not at all of them: a binary min-heap keyed by each
 * session's {@link ServerSession#lastReceive} as it was when filed ({@link ServerSession#idleKey}),
 * with each session's place in it kept in the session ({@link ServerSession#idleIndex}), so that a
 * session that ends leaves at once, in O(log n), and no ended session is held here.
 *
 * <p>{@code lastReceive} only moves forward, so a filed key is never later than the truth: the check
 * takes the first session, ends it when it really is idle, or else files it again at its newer
 * time ({@link #refile}), as WireGuard re-arms a peer's timer only when it fires.
 *
 * <p>Receive thread only, like the {@link Peers} tables it belongs to.
 */
final class IdleOrder {

    private ServerSession[] heap = new ServerSession[64];
    private int size;

    void add(ServerSession s) {
        if (s.idleIndex >= 0) {
            return;
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        s.idleKey = s.lastReceive;
        place(s, size++);
        up(s.idleIndex);
    }

    /** Takes {@code s} out; nothing when it is not filed. */
    void remove(ServerSession s) {
        int i = s.idleIndex;
        if (i < 0) {
            return;
        }
        s.idleIndex = -1;
        ServerSession last = heap[--size];
        heap[size] = null;
        if (i != size) {
            place(last, i);
            if (!up(i)) {
                down(i);
            }
        }
    }

    /** The session heard from longest ago as filed, or null when there is none. */
    ServerSession oldest() {
        return size == 0 ? null : heap[0];
    }

    /** Files {@code s} again at its current {@link ServerSession#lastReceive}, which is never earlier. */
    void refile(ServerSession s) {
        if (s.idleIndex >= 0) {
            s.idleKey = s.lastReceive;
            down(s.idleIndex);
        }
    }

    int size() {
        return size;
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].idleIndex = -1;
            heap[i] = null;
        }
        size = 0;
    }

    private void place(ServerSession s, int i) {
        heap[i] = s;
        s.idleIndex = i;
    }

    private static boolean before(ServerSession a, ServerSession b) {
        return a.idleKey - b.idleKey < 0; // nanoTime: compare by difference
    }

    /** Moves the entry at {@code i} towards the root; true when it moved. */
    private boolean up(int i) {
        ServerSession s = heap[i];
        int start = i;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!before(s, heap[parent])) {
                break;
            }
            place(heap[parent], i);
            i = parent;
        }
        place(s, i);
        return i != start;
    }

    private void down(int i) {
        ServerSession s = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child])) {
                child++;
            }
            if (!before(heap[child], s)) {
                break;
            }
            place(heap[child], i);
            i = child;
        }
        place(s, i);
    }
}

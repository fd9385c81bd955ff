package org.minivpn.transport.dtls;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.minivpn.api.transport.Session;

/**
 * A server's clients: sessions and handshakes by source address, and both by connection ID.
 * Owned by the server's receive thread, which alone calls it; {@link #snapshot()} is for any thread.
 * Lookups allocate nothing. A session can be unfiled from its address ({@link #unfile}) and still
 * be one of the server's sessions, reached by its connection ID.
 *
 * <p>A session opened or closed costs O(1) here (O(log n) in {@link IdleOrder}), however many there
 * are: the sessions are a concurrent set that {@link #snapshot()} copies only when a reader asks
 * after a change (vpn:sessions, metrics), not on every change.
 */
final class Peers {

    static final int CID_LENGTH = 8;

    private final Map<InetSocketAddress, ServerSession> sessions = new HashMap<>();
    private final Map<InetSocketAddress, ServerHandshake> handshakes = new HashMap<>();
    private final Set<ServerSession> all = ConcurrentHashMap.newKeySet(); // filed by address or not; read by any thread
    private final IdleOrder idle = new IdleOrder();
    private final CidTable byCid = new CidTable();
    private final SecureRandom random = new SecureRandom();
    private volatile int changes; // written by the receive thread only
    private volatile Snapshot snapshot = new Snapshot(0, List.of());

    /** The sessions as of {@code changes} changes. */
    private record Snapshot(int changes, List<Session> sessions) {
    }

    /** The session or handshake whose records carry {@code cid}, or null. */
    Object byConnectionId(long cid) {
        return byCid.get(cid);
    }

    ServerSession session(InetSocketAddress from) {
        return sessions.get(from);
    }

    ServerHandshake handshake(InetSocketAddress from) {
        return handshakes.get(from);
    }

    int handshakeCount() {
        return handshakes.size();
    }

    /** A fresh, unused, random connection ID. */
    long newConnectionId() {
        long cid;
        do {
            cid = random.nextLong();
        } while (cid == 0 || byCid.contains(cid));
        return cid;
    }

    void add(ServerHandshake handshake) {
        handshakes.put(handshake.peer, handshake);
        byCid.put(handshake.connectionId, handshake);
    }

    /** Forgets a handshake; false when it was forgotten already (abandoned, or replaced). */
    boolean remove(ServerHandshake handshake) {
        byCid.remove(handshake.connectionId, handshake);
        return handshakes.remove(handshake.peer, handshake);
    }

    void add(ServerSession session) {
        sessions.put(session.remoteAddress(), session);
        all.add(session);
        idle.add(session);
        if (session.connectionId != 0) {
            byCid.put(session.connectionId, session);
        }
        changes++; // only the receive thread writes it
    }

    void remove(ServerSession session) {
        sessions.remove(session.remoteAddress(), session);
        all.remove(session);
        idle.remove(session);
        if (session.connectionId != 0) {
            byCid.remove(session.connectionId, session);
        }
        changes++;
    }

    /** Takes {@code session} out of the address index only: records from its address no longer reach it. */
    void unfile(ServerSession session) {
        sessions.remove(session.remoteAddress(), session);
    }

    /** Files {@code session} under its new address; returns the session that had that address, or null. */
    ServerSession move(ServerSession session, InetSocketAddress to) {
        sessions.remove(session.remoteAddress(), session);
        ServerSession displaced = sessions.put(to, session);
        session.moveTo(to);
        return displaced == session ? null : displaced;
    }

    /** How many sessions there are, filed by address or not. Any thread; no copy. */
    int count() {
        return all.size();
    }

    /** Every session, filed by address or not: a copy, O(n). */
    List<ServerSession> sessions() {
        return new ArrayList<>(all);
    }

    /**
     * A session not heard from for more than {@code idleNanos}, or null. Looks only at the sessions
     * that may be idle ({@link IdleOrder}), longest silent first, and files those heard from since
     * again; the caller removes the one returned, or it is returned again.
     */
    ServerSession nextIdle(long now, long idleNanos) {
        for (ServerSession s = idle.oldest(); s != null && now - s.idleKey > idleNanos; s = idle.oldest()) {
            if (now - s.lastReceive > idleNanos) {
                return s;
            }
            idle.refile(s); // its key moves to a time within idleNanos of now: it is not looked at again here
        }
        return null;
    }

    /** How many sessions the idle check files (every session until it is removed). */
    int filedForIdle() {
        return idle.size();
    }

    List<ServerHandshake> handshakes() {
        return new ArrayList<>(handshakes.values());
    }

    /**
     * Any thread: the sessions as of the last change. A copy is made only on the first call after a
     * change (O(n) then), so a reader that asks once a second costs O(n) a second at most, and a
     * burst of n new sessions costs nothing here until somebody reads.
     */
    List<Session> snapshot() {
        Snapshot s = snapshot;
        int c = changes; // read before the copy: a change during it makes the next call copy again
        if (s.changes != c) {
            s = new Snapshot(c, List.copyOf(all));
            snapshot = s;
        }
        return s.sessions;
    }

    void clear() {
        sessions.clear();
        all.clear();
        handshakes.clear();
        byCid.clear();
        idle.clear();
        changes++;
    }
}

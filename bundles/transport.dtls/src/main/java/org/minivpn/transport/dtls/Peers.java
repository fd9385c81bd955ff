package org.minivpn.transport.dtls;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minivpn.api.transport.Session;

/**
 * A server's clients: sessions and handshakes by source address, and both by connection ID.
 * Owned by the server's receive thread, which alone calls it; {@link #snapshot()} is for any thread.
 * Lookups allocate nothing. A session can be unfiled from its address ({@link #unfile}) and still
 * be one of the server's sessions, reached by its connection ID.
 */
final class Peers {

    static final int CID_LENGTH = 8;

    private final Map<InetSocketAddress, ServerSession> sessions = new HashMap<>();
    private final Map<InetSocketAddress, ServerHandshake> handshakes = new HashMap<>();
    private final Set<ServerSession> all = new LinkedHashSet<>(); // filed by address or not
    private final CidTable byCid = new CidTable();
    private final SecureRandom random = new SecureRandom();
    private volatile List<Session> snapshot = List.of();

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
        if (session.connectionId != 0) {
            byCid.put(session.connectionId, session);
        }
        publish();
    }

    void remove(ServerSession session) {
        sessions.remove(session.remoteAddress(), session);
        all.remove(session);
        if (session.connectionId != 0) {
            byCid.remove(session.connectionId, session);
        }
        publish();
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

    /** Every session, filed by address or not. */
    List<ServerSession> sessions() {
        return new ArrayList<>(all);
    }

    List<ServerHandshake> handshakes() {
        return new ArrayList<>(handshakes.values());
    }

    /** Any thread: the sessions as of the last change. */
    List<Session> snapshot() {
        return snapshot;
    }

    void clear() {
        sessions.clear();
        all.clear();
        handshakes.clear();
        byCid.clear();
        publish();
    }

    private void publish() {
        snapshot = List.copyOf(all);
    }
}

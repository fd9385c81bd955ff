package org.minivpn.transport.dtls;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.minivpn.api.transport.TransportServer;

/**
 * What a server or client session dropped, and why. Each field is written by one thread (the
 * receive thread; senders only touch {@link #sendDropped}), so a plain volatile increment is
 * exact; readers see a recent value.
 */
final class DropCounters {

    /** Too short, bad header, wrong version, a record that does not fit its datagram. */
    volatile long malformed;
    /** From an address with no session or handshake, or with an unknown connection ID. */
    volatile long unknownPeer;
    /** Failed authentication: garbage, a forged or corrupted record. */
    volatile long forged;
    /** A record seen before, or older than the replay window. */
    volatile long replayed;
    /** A record or datagram larger than any we accept. */
    volatile long oversized;
    /** A record of another epoch, e.g. a late handshake record. */
    volatile long wrongEpoch;
    /** A well-formed record of a type that has no business there. */
    volatile long unexpected;
    /** ClientHellos answered with a HelloVerifyRequest (or with a cookie that did not verify). */
    volatile long cookies;
    /** Handshakes completed. */
    volatile long handshakes;
    /** Handshakes refused or failed, timeouts included. */
    volatile long handshakeFailures;
    /** Handshakes that timed out. */
    volatile long handshakeTimeouts;
    /** New clients dropped because too many handshakes were in progress and none had stalled. */
    volatile long busy;
    /** Cookie-verified ClientHellos refused by their source's token bucket (or a full table of sources). */
    volatile long rateLimited;
    /** Cookie-verified ClientHellos refused because their source had its most handshakes in flight. */
    volatile long sourceLimited;
    /** Handshakes abandoned, stalled, to make room for a new client. */
    volatile long evicted;
    /** Return-routability checks sent to a session's new address (see {@link PathValidation}). */
    volatile long pathChallenges;
    /** Answers to them that did not count: wrong address, cookie or age, or none outstanding. */
    volatile long pathIgnored;
    /** Exceptions thrown by the session handler; the packet is lost, the thread lives on. */
    volatile long handlerErrors;
    /** Datagrams dropped because the socket's send buffer stayed full. */
    final AtomicLong sendDropped = new AtomicLong();

    /** Counts a negative {@link RecordLayer#open} result. */
    void count(int dropReason) {
        switch (dropReason) {
            case RecordLayer.WRONG_EPOCH -> wrongEpoch++;
            case RecordLayer.REPLAYED -> replayed++;
            case RecordLayer.FORGED -> forged++;
            case RecordLayer.OVERSIZED -> oversized++;
            default -> malformed++;
        }
    }

    /** All drops of bad input, for a one-number summary. */
    long badInput() {
        return malformed + unknownPeer + forged + replayed + oversized + wrongEpoch + unexpected;
    }

    /**
     * The counters under the keys of {@link TransportServer#counters()}. {@code handshakes.failed}
     * includes the timed-out ones ({@code handshakes.timeout}); busy, rate-limited and source-limited
     * clients were turned away before a handshake, evicted ones in the middle of one.
     */
    Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(TransportServer.HANDSHAKES + "ok", handshakes);
        m.put(TransportServer.HANDSHAKES + "failed", handshakeFailures);
        m.put(TransportServer.HANDSHAKES + "timeout", handshakeTimeouts);
        m.put(TransportServer.HANDSHAKES + "busy", busy);
        m.put(TransportServer.HANDSHAKES + "rate_limited", rateLimited);
        m.put(TransportServer.HANDSHAKES + "source_limited", sourceLimited);
        m.put(TransportServer.HANDSHAKES + "evicted", evicted);
        m.put(TransportServer.HANDSHAKES + "cookie", cookies);
        m.put(TransportServer.DROPPED + "malformed", malformed);
        m.put(TransportServer.DROPPED + "unknown_peer", unknownPeer);
        m.put(TransportServer.DROPPED + "forged", forged);
        m.put(TransportServer.DROPPED + "replayed", replayed);
        m.put(TransportServer.DROPPED + "oversized", oversized);
        m.put(TransportServer.DROPPED + "wrong_epoch", wrongEpoch);
        m.put(TransportServer.DROPPED + "unexpected", unexpected);
        m.put(TransportServer.DROPPED + "send_buffer_full", sendDropped.get());
        m.put(TransportServer.DROPPED + "handler_error", handlerErrors);
        return m;
    }

    @Override
    public String toString() {
        return "handshakes " + handshakes + " (failed " + handshakeFailures + ", timed out " + handshakeTimeouts
                + ", busy " + busy + ", rate limited " + rateLimited + ", source limited " + sourceLimited + ", evicted "
                + evicted + ", cookies " + cookies + "); dropped: malformed " + malformed + ", unknown peer "
                + unknownPeer + ", forged " + forged + ", replayed " + replayed + ", oversized " + oversized
                + ", wrong epoch " + wrongEpoch + ", unexpected " + unexpected + ", send " + sendDropped.get()
                + ", handler errors " + handlerErrors + "; path challenges " + pathChallenges + " (answers ignored "
                + pathIgnored + ")";
    }
}

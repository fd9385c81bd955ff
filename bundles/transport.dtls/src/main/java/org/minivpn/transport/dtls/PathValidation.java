package org.minivpn.transport.dtls;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The return-routability check of one server session, as draft-ietf-tls-dtls-rrc ("Return
 * Routability Check for DTLS 1.2 and DTLS 1.3") defines it and RFC 9000 8.2 does for QUIC. A record
 * with a connection ID proves who sent it, never that the sender receives at its source address
 * (RFC 9146 6): anyone with a valid certificate can write another host's address as the source. So a
 * session follows a new address only once a path_challenge sent there, with a fresh random cookie,
 * comes back as a path_response from that address; until then the server keeps sending to the
 * address it knows.
 *
 * <p>Messages travel in records of content type {@value #CONTENT_TYPE} (return_routability_check),
 * inside the connection ID record's protected inner plaintext: one byte of type, then the 8-byte
 * cookie. A session has at most one challenge outstanding, sends one at most every {@link
 * #INTERVAL_NANOS} (so a peer that lies about its source cannot turn the server into a reflector),
 * and a response counts for {@link #LIFETIME_NANOS}. Receive thread only; allocation only when a
 * challenge is made.
 */
final class PathValidation {

    /** The return_routability_check content type of draft-ietf-tls-dtls-rrc. */
    static final int CONTENT_TYPE = 27;
    static final byte PATH_CHALLENGE = 0;
    static final byte PATH_RESPONSE = 1;
    static final int LENGTH = 9;
    static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final long LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(3);

    private static final SecureRandom RANDOM = new SecureRandom();

    private InetSocketAddress probing; // the address challenged, or null
    private long cookie;
    private long sentAt;
    private boolean sentOnce;

    /**
     * An authenticated, newest record came from {@code from}, which is not the session's address.
     * Returns the path_challenge to send there now, or null when one may not be sent yet.
     */
    byte[] challenge(InetSocketAddress from, long now) {
        if (sentOnce && now - sentAt < INTERVAL_NANOS) {
            return null;
        }
        if (from.equals(probing) && now - sentAt < LIFETIME_NANOS / 3) {
            return null; // the one outstanding is still fresh: no need to ask again so soon
        }
        probing = from;
        cookie = RANDOM.nextLong();
        sentAt = now;
        sentOnce = true;
        byte[] m = new byte[LENGTH];
        m[0] = PATH_CHALLENGE;
        RecordLayer.putLong(m, 1, cookie);
        return m;
    }

    /** Whether {@code m[0, n)} from {@code from} answers the outstanding challenge; it is used up if so. */
    boolean validates(InetSocketAddress from, byte[] m, int n, long now) {
        if (probing == null || n != LENGTH || m[0] != PATH_RESPONSE || !from.equals(probing)
                || now - sentAt > LIFETIME_NANOS || RecordLayer.getLong(m, 1) != cookie) {
            return false;
        }
        probing = null;
        return true;
    }

    /** Whether {@code m[0, n)} is a well-formed path_challenge. */
    static boolean isChallenge(byte[] m, int n) {
        return n == LENGTH && m[0] == PATH_CHALLENGE;
    }
}

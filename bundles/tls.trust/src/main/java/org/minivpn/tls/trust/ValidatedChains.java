package org.minivpn.tls.trust;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Certificate paths that passed PKIX validation against one CA, so that a client that comes back
 * (a rekey every hour, a reconnect) costs no second path validation: its CA signature check is an
 * ECDSA verify, as costly as checking the client's CertificateVerify. Keyed by the SHA-256 of
 * the exact encoded path; a hit still re-checks every certificate's validity period against the
 * clock, and the caller checks the CRL on every use ({@link PeerCheck#verify}), so a hit accepts
 * nothing a fresh validation would refuse: what PKIX decides beyond the dates (signatures, names,
 * basic constraints, key usage) depends only on the path and the trust anchor, and one
 * {@link Credentials} holds one anchor and its own cache, so a new CA, CRL or configuration
 * (which makes new credentials) starts with an empty one. Only validated paths are stored, so a
 * stranger cannot add entries, and a peer with certificates of its own fills at most
 * {@link #CAPACITY}, least recently used first out: memory is bounded and the worst an attacker
 * gets is a fresh validation for an evicted peer. The JDK's CertificateFactory keeps a similar
 * cache of its own, implicitly (750 parsed certificates that remember their verified signature),
 * which a larger fleet defeats. Thread-safe.
 */
public final class ValidatedChains {

    /** Paths remembered; about 100 bytes each. */
    public static final int CAPACITY = 4096;

    // in access order, so the eldest is the least recently used; guarded by this
    private final Map<ByteBuffer, Window> paths = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Window> eldest) {
            return size() > CAPACITY;
        }
    };

    /**
     * Whether the path of {@code key} validated before and every certificate of it is within its validity
     * period at {@code nowMillis}; false (validate it afresh) otherwise.
     */
    boolean knows(ByteBuffer key, long nowMillis) {
        Window w;
        synchronized (this) {
            w = paths.get(key);
        }
        return w != null && nowMillis >= w.notBefore && nowMillis <= w.notAfter;
    }

    /** Records that {@code path}, keyed by {@link #key}, passed PKIX validation. */
    void validated(ByteBuffer key, List<X509Certificate> path) {
        long notBefore = Long.MIN_VALUE;
        long notAfter = Long.MAX_VALUE;
        for (X509Certificate c : path) {
            notBefore = Math.max(notBefore, c.getNotBefore().getTime());
            notAfter = Math.min(notAfter, c.getNotAfter().getTime());
        }
        synchronized (this) {
            paths.put(key, new Window(notBefore, notAfter));
        }
    }

    /** Paths remembered now. */
    public synchronized int size() {
        return paths.size();
    }

    /** The SHA-256 of the path's certificates, each length-prefixed so that no two paths share an input. */
    static ByteBuffer key(List<X509Certificate> path) throws GeneralSecurityException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (X509Certificate c : path) {
            byte[] der = c.getEncoded();
            sha256.update(new byte[] {(byte) (der.length >>> 24), (byte) (der.length >>> 16), (byte) (der.length >>> 8),
                (byte) der.length});
            sha256.update(der);
        }
        return ByteBuffer.wrap(sha256.digest());
    }

    /** When every certificate of a path is valid, in milliseconds since the epoch (inclusive, as X509Certificate.checkValidity). */
    private record Window(long notBefore, long notAfter) {
    }
}

package org.minivpn.transport.dtls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.minivpn.transport.dtls.CipherSuites.Aead;

/**
 * The DTLS 1.2 record protection of an established session (epoch 1): AEAD records as in
 * RFC 5288 (AES-GCM) and RFC 7905 (ChaCha20-Poly1305), with the connection ID format of RFC 9146
 * when one was negotiated. Bouncy Castle runs the handshake; this class then owns the keys, the
 * write sequence and the replay window, so that each record is sealed into and opened from the
 * caller's buffers without allocating any of its own.
 *
 * <p>Threads: {@link #seal} from one thread at a time (callers hold the session's write lock);
 * {@link #open} from the receive thread only. The two directions share nothing.
 *
 * <p>The JCA needs a fresh parameter object for every nonce; that object and what the provider
 * allocates in {@code init} are the only per-record allocations left (AllocationTest measures
 * that nothing else is allocated).
 */
final class RecordLayer {

    static final int HEADER = 13;
    static final int CHANGE_CIPHER_SPEC = 20;
    static final int ALERT = 21;
    static final int HANDSHAKE = 22;
    static final int APPLICATION_DATA = 23;
    static final int TLS12_CID = 25;
    static final int EPOCH = 1;

    /** {@link #open} results: why a record was dropped. */
    static final int MALFORMED = -1;
    static final int WRONG_EPOCH = -2;
    static final int REPLAYED = -3;
    static final int FORGED = -4;
    static final int OVERSIZED = -5;

    private static final long MAX_SEQUENCE = (1L << 48) - 1;
    private static final int MAX_CIPHERTEXT = DtlsSettings.MAX_RECORD_PLAINTEXT + 2048;

    private final Aead aead;
    private final int explicit;
    private final byte[] writeCid;
    private final byte[] readCid;

    // sealing side, guarded by the caller's write lock
    private final Cipher sealer;
    private final SecretKeySpec writeKey;
    private final byte[] writeIv;
    private final byte[] sealNonce = new byte[12];
    private final byte[] sealAad;
    private final byte[] innerType = new byte[1];
    private long nextSequence;

    // opening side, receive thread only
    private final Cipher opener;
    private final SecretKeySpec readKey;
    private final byte[] readIv;
    private final byte[] openNonce = new byte[12];
    private final byte[] openAad;
    private final ReplayWindow window = new ReplayWindow();
    private int lastType;
    private int lastLength;
    private boolean lastNewest;

    /**
     * @param provider the JCA provider of the ciphers, or null for the JDK's
     * @param firstSequence the first sequence number to write: one past what the handshake used
     */
    RecordLayer(SessionKeys keys, Provider provider, long firstSequence) throws GeneralSecurityException {
        this.aead = keys.aead();
        this.explicit = aead.explicitNonceLength;
        this.writeCid = keys.writeCid();
        this.readCid = keys.readCid();
        this.sealer = provider == null ? Cipher.getInstance(aead.transformation)
                : Cipher.getInstance(aead.transformation, provider);
        this.opener = provider == null ? Cipher.getInstance(aead.transformation)
                : Cipher.getInstance(aead.transformation, provider);
        this.writeKey = new SecretKeySpec(keys.writeKey(), aead.keyAlgorithm);
        this.readKey = new SecretKeySpec(keys.readKey(), aead.keyAlgorithm);
        this.writeIv = keys.writeIv();
        this.readIv = keys.readIv();
        this.sealAad = new byte[23 + writeCid.length];
        this.openAad = new byte[23 + readCid.length];
        this.nextSequence = firstSequence;
    }

    /** Bytes a record adds to its payload. */
    int overhead() {
        return HEADER + writeCid.length + explicit + CipherSuites.TAG_LENGTH + (writeCid.length > 0 ? 1 : 0);
    }

    /** The provider that runs the ciphers, for the record. */
    String providerName() {
        return sealer.getProvider().getName();
    }

    /**
     * Protects {@code in[off, off+len)} as one record of {@code type} into {@code out} at
     * {@code outOff}, which must have {@link #overhead()} + len bytes. Returns the record's length.
     */
    int seal(int type, byte[] in, int off, int len, byte[] out, int outOff) throws IOException {
        if (nextSequence > MAX_SEQUENCE) {
            throw new IOException("the session used up its 2^48 record numbers: connect again for new keys");
        }
        long seq = nextSequence++;
        long seqNum = ((long) EPOCH << 48) | seq;
        boolean cid = writeCid.length > 0;
        int inner = len + (cid ? 1 : 0);
        int fragment = explicit + inner + CipherSuites.TAG_LENGTH;
        int p = outOff;
        out[p] = (byte) (cid ? TLS12_CID : type);
        out[p + 1] = (byte) 0xFE;
        out[p + 2] = (byte) 0xFD;
        putLong(out, p + 3, seqNum);
        p += 11;
        if (cid) {
            System.arraycopy(writeCid, 0, out, p, writeCid.length);
            p += writeCid.length;
        }
        putShort(out, p, fragment);
        p += 2;
        if (explicit > 0) {
            putLong(out, p, seqNum);
            p += explicit;
        }
        nonce(sealNonce, writeIv, seqNum);
        int aadLength = aad(sealAad, cid ? TLS12_CID : type, seqNum, writeCid, inner);
        try {
            sealer.init(Cipher.ENCRYPT_MODE, writeKey, spec(sealNonce));
            sealer.updateAAD(sealAad, 0, aadLength);
            int n = sealer.update(in, off, len, out, p);
            innerType[0] = (byte) type;
            n += sealer.doFinal(innerType, 0, cid ? 1 : 0, out, p + n);
            if (n != inner + CipherSuites.TAG_LENGTH) {
                throw new IOException("the cipher wrote " + n + " bytes for a record of " + inner);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal a record with " + aead + ": " + e.getMessage(), e);
        }
        return p - outOff + inner + CipherSuites.TAG_LENGTH;
    }

    /**
     * Authenticates and decrypts the first record of {@code in[off, off+len)} into {@code out} at
     * {@code outOff}. Returns the payload length, or a negative drop reason ({@link #MALFORMED},
     * {@link #WRONG_EPOCH}, {@link #REPLAYED}, {@link #FORGED}, {@link #OVERSIZED}). After a
     * non-negative result, {@link #lastType()}, {@link #lastLength()} and {@link #lastWasNewest()}
     * describe the record. Never throws for bad input.
     */
    int open(byte[] in, int off, int len, byte[] out, int outOff) {
        if (len < HEADER || in[off + 1] != (byte) 0xFE || in[off + 2] != (byte) 0xFD) {
            return MALFORMED;
        }
        int type = in[off] & 0xFF;
        long seqNum = getLong(in, off + 3);
        if ((int) (seqNum >>> 48) != EPOCH) {
            return WRONG_EPOCH;
        }
        boolean cid = type == TLS12_CID;
        if (cid != (readCid.length > 0)) {
            return MALFORMED;
        }
        int header = HEADER + (cid ? readCid.length : 0);
        if (len < header || (cid && !sameCid(readCid, in, off + 11))) {
            return MALFORMED;
        }
        int fragment = ((in[off + header - 2] & 0xFF) << 8) | (in[off + header - 1] & 0xFF);
        if (fragment > MAX_CIPHERTEXT) {
            return OVERSIZED;
        }
        if (header + fragment > len || fragment < explicit + CipherSuites.TAG_LENGTH + (cid ? 1 : 0)) {
            return MALFORMED;
        }
        int inner = fragment - explicit - CipherSuites.TAG_LENGTH;
        if (inner > out.length - outOff) {
            return OVERSIZED;
        }
        long seq = seqNum & MAX_SEQUENCE;
        if (window.isDuplicate(seq)) {
            return REPLAYED;
        }
        if (explicit > 0) {
            // GCM: fixed IV from the key block, then the record's explicit nonce.
            System.arraycopy(readIv, 0, openNonce, 0, readIv.length);
            System.arraycopy(in, off + header, openNonce, readIv.length, explicit);
        } else {
            nonce(openNonce, readIv, seqNum);
        }
        int aadLength = aad(openAad, type, seqNum, readCid, inner);
        int n;
        try {
            opener.init(Cipher.DECRYPT_MODE, readKey, spec(openNonce));
            opener.updateAAD(openAad, 0, aadLength);
            n = opener.doFinal(in, off + header + explicit, inner + CipherSuites.TAG_LENGTH, out, outOff);
        } catch (GeneralSecurityException | RuntimeException e) {
            return FORGED; // a bad tag is the common case; the JCA reports it only by exception
        }
        if (n != inner) {
            return FORGED;
        }
        int contentType = type;
        if (cid) {
            // DTLSInnerPlaintext: content, the real type, zero padding.
            while (n > 0 && out[outOff + n - 1] == 0) {
                n--;
            }
            if (n == 0) {
                return MALFORMED;
            }
            contentType = out[outOff + n - 1] & 0xFF;
            n--;
        }
        lastNewest = window.accept(seq);
        lastType = contentType;
        lastLength = header + fragment;
        return n;
    }

    /** The content type of the last opened record: {@link #APPLICATION_DATA}, {@link #ALERT}... */
    int lastType() {
        return lastType;
    }

    /** The length on the wire of the last opened record, to find the next one in a datagram. */
    int lastLength() {
        return lastLength;
    }

    /** Whether the last opened record is the newest of the session (a roaming peer's new address counts then). */
    boolean lastWasNewest() {
        return lastNewest;
    }

    /** The length of the connection ID the peer's records carry; 0 without. */
    int readCidLength() {
        return readCid.length;
    }

    /** Whether the peer's records carry our connection ID, so they can come from any address. */
    boolean peerUsesConnectionId() {
        return readCid.length > 0;
    }

    private AlgorithmParameterSpec spec(byte[] nonce) {
        return explicit > 0 ? new GCMParameterSpec(CipherSuites.TAG_LENGTH * 8, nonce, 0, 12)
                : new IvParameterSpec(nonce, 0, 12);
    }

    /** RFC 7905: the fixed IV xor the 64-bit epoch and sequence number, right-aligned. GCM: IV then seqNum. */
    private void nonce(byte[] nonce, byte[] iv, long seqNum) {
        if (explicit > 0) {
            System.arraycopy(iv, 0, nonce, 0, 4);
            putLong(nonce, 4, seqNum);
            return;
        }
        System.arraycopy(iv, 0, nonce, 0, 12);
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] ^= (byte) (seqNum >>> (56 - 8 * i));
        }
    }

    /**
     * The additional data: seq_num, type, version, length (RFC 5246 6.2.3.3); with a connection ID,
     * the RFC 9146 form: 8 x 0xFF, tls12_cid, cid_length, tls12_cid, version, seq_num, cid, length.
     */
    private static int aad(byte[] aad, int type, long seqNum, byte[] cid, int length) {
        if (cid.length == 0) {
            putLong(aad, 0, seqNum);
            aad[8] = (byte) type;
            aad[9] = (byte) 0xFE;
            aad[10] = (byte) 0xFD;
            putShort(aad, 11, length);
            return 13;
        }
        putLong(aad, 0, -1L);
        aad[8] = (byte) TLS12_CID;
        aad[9] = (byte) cid.length;
        aad[10] = (byte) TLS12_CID;
        aad[11] = (byte) 0xFE;
        aad[12] = (byte) 0xFD;
        putLong(aad, 13, seqNum);
        System.arraycopy(cid, 0, aad, 21, cid.length);
        putShort(aad, 21 + cid.length, length);
        return 23 + cid.length;
    }

    /** Compares in constant time, so timing tells an attacker nothing about the connection ID. */
    private static boolean sameCid(byte[] cid, byte[] in, int at) {
        int difference = 0;
        for (int i = 0; i < cid.length; i++) {
            difference |= cid[i] ^ in[at + i];
        }
        return difference == 0;
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    /**
     * The length of the record at {@code b[off]} as its header declares it (a connection ID of
     * {@code cidLength} bytes in a {@link #TLS12_CID} record), or -1 when it does not fit in
     * {@code len} bytes: to step over a record that could not be opened.
     */
    static int declaredLength(byte[] b, int off, int len, int cidLength) {
        int header = HEADER + ((b[off] & 0xFF) == TLS12_CID ? cidLength : 0);
        if (len < header) {
            return -1;
        }
        int total = header + getShort(b, off + header - 2);
        return total <= len ? total : -1;
    }

    static int getShort(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }
}

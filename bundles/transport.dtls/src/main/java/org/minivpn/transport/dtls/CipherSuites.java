package org.minivpn.transport.dtls;

import org.bouncycastle.tls.CipherSuite;

/**
 * The only suites we speak: ephemeral ECDH key exchange (forward secrecy) with an AEAD cipher.
 * No CBC, no NULL, no static RSA key exchange. AES-GCM first: with AES-NI it is the fastest.
 * ChaCha20-Poly1305 is negotiated with the Bouncy Castle backend only: Bouncy Castle's handshake
 * asks the provider for "ChaCha7539" and "Poly1305", names the JDK's providers do not have.
 */
final class CipherSuites {

    /** The AEAD ciphers of our suites and their DTLS 1.2 record parameters (RFC 5288, RFC 7905). */
    enum Aead {
        AES_128_GCM("AES/GCM/NoPadding", "AES", 16, 4, 8),
        AES_256_GCM("AES/GCM/NoPadding", "AES", 32, 4, 8),
        CHACHA20_POLY1305("ChaCha20-Poly1305", "ChaCha20", 32, 12, 0);

        final String transformation;
        final String keyAlgorithm;
        final int keyLength;
        /** Bytes of the nonce that come from the key block. */
        final int fixedIvLength;
        /** Bytes of the nonce carried in each record. */
        final int explicitNonceLength;

        Aead(String transformation, String keyAlgorithm, int keyLength, int fixedIvLength, int explicitNonceLength) {
            this.transformation = transformation;
            this.keyAlgorithm = keyAlgorithm;
            this.keyLength = keyLength;
            this.fixedIvLength = fixedIvLength;
            this.explicitNonceLength = explicitNonceLength;
        }
    }

    static final int TAG_LENGTH = 16;

    static final int[] ECDSA = {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    static final int[] RSA = {
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    /** What a client offers: it cannot know the server's key type in advance. */
    static final int[] ALL = {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    private CipherSuites() {
    }

    /** The AEAD of one of our suites, or null for any other suite. */
    static Aead aead(int suite) {
        switch (suite) {
            case CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
            case CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
                return Aead.AES_128_GCM;
            case CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
            case CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
                return Aead.AES_256_GCM;
            case CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
            case CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
                return Aead.CHACHA20_POLY1305;
            default:
                return null;
        }
    }

    /** The IANA name of one of our suites, e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256". */
    static String name(int suite) {
        Aead aead = aead(suite);
        if (aead == null) {
            return String.format("0x%04X", suite);
        }
        boolean ecdsa = false;
        for (int s : ECDSA) {
            ecdsa |= s == suite;
        }
        String tail = switch (aead) {
            case AES_128_GCM -> "AES_128_GCM_SHA256";
            case AES_256_GCM -> "AES_256_GCM_SHA384";
            case CHACHA20_POLY1305 -> "CHACHA20_POLY1305_SHA256";
        };
        return "TLS_ECDHE_" + (ecdsa ? "ECDSA" : "RSA") + "_WITH_" + tail;
    }
}

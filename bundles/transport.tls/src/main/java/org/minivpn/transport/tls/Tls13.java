package org.minivpn.transport.tls;

import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;

/**
 * TLS 1.3 only (RFC 8446): its three AEAD suites, forward secrecy by construction, no renegotiation,
 * no compression. As OpenVPN's TCP mode and ocserv's CSTP, one TLS stream per client.
 */
final class Tls13 {

    static final ProtocolVersion[] VERSIONS = ProtocolVersion.TLSv13.only();

    static final int[] SUITES = {
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    };

    private Tls13() {
    }

    static String name(int suite) {
        return switch (suite) {
            case CipherSuite.TLS_AES_128_GCM_SHA256 -> "TLS_AES_128_GCM_SHA256";
            case CipherSuite.TLS_AES_256_GCM_SHA384 -> "TLS_AES_256_GCM_SHA384";
            case CipherSuite.TLS_CHACHA20_POLY1305_SHA256 -> "TLS_CHACHA20_POLY1305_SHA256";
            default -> String.format("0x%04X", suite);
        };
    }
}

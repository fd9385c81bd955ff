package org.minivpn.loadgen;

import java.io.IOException;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * One session's side of the handshake, as a MiniVPN client plays it: DTLS 1.2 only, ECDHE-ECDSA
 * with AES-GCM, extended master secret required, our certificate on request, the server's checked
 * against the CA, and an RFC 9146 connection ID asked for (with an empty one of our own), so the
 * server's records reach us by address and ours carry the server's ID. One instance per handshake.
 */
final class LoadClient extends AbstractTlsClient {

    private static final int[] SUITES = {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    };

    private final Identity identity;
    private final int timeoutMillis;

    /** @param timeoutMillis how long the whole handshake may take before Bouncy Castle gives up */
    LoadClient(TlsCrypto crypto, Identity identity, int timeoutMillis) {
        super(crypto);
        this.identity = identity;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(getCrypto(), SUITES);
    }

    @Override
    protected byte[] getNewConnectionID() {
        return new byte[0];
    }

    @Override
    public int getHandshakeTimeoutMillis() {
        return timeoutMillis;
    }

    @Override
    public boolean requiresExtendedMasterSecret() {
        return true;
    }

    @Override
    public TlsAuthentication getAuthentication() {
        return new TlsAuthentication() {
            @Override
            public void notifyServerCertificate(TlsServerCertificate certificate) throws IOException {
                identity.checkServer(certificate.getCertificate());
            }

            @Override
            public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                return identity.signer(context, request.getSupportedSignatureAlgorithms());
            }
        };
    }
}

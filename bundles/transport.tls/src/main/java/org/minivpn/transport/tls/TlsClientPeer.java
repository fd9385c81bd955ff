package org.minivpn.transport.tls;

import java.io.IOException;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.PeerInfo;
import org.minivpn.tls.trust.Signers;

/** Our side of a client handshake: TLS 1.3, the server's chain checked by {@link PeerCheck} as DTLS does. */
final class TlsClientPeer extends AbstractTlsClient {

    private final CryptoState crypto;
    private final Credentials credentials;
    private final String serverName;
    private final List<byte[]> pins;
    private volatile PeerInfo server; // set during the handshake

    TlsClientPeer(CryptoState crypto, Credentials credentials, String serverName, List<byte[]> pins) {
        super(crypto.tls());
        this.crypto = crypto;
        this.credentials = credentials;
        this.serverName = serverName;
        this.pins = pins;
    }

    PeerInfo server() {
        return server;
    }

    int cipherSuite() {
        return context.getSecurityParametersConnection().getCipherSuite();
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return Tls13.VERSIONS;
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(crypto.tls(), Tls13.SUITES);
    }

    @Override
    protected Vector<SignatureAndHashAlgorithm> getSupportedSignatureAlgorithms() {
        return crypto.signatureSchemes();
    }

    @Override
    public TlsAuthentication getAuthentication() {
        return new TlsAuthentication() {
            @Override
            public void notifyServerCertificate(TlsServerCertificate certificate) throws IOException {
                server = PeerCheck.verify(credentials, PeerCheck.certificates(certificate.getCertificate()),
                        PeerCheck.Role.SERVER, serverName, pins);
            }

            @Override
            public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                return Signers.create(context, crypto, credentials, request.getSupportedSignatureAlgorithms(),
                        request.getCertificateRequestContext());
            }
        };
    }
}

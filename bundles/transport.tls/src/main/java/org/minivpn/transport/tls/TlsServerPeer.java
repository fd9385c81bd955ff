package org.minivpn.transport.tls;

import java.io.IOException;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsUtils;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.PeerInfo;
import org.minivpn.tls.trust.Refusal;
import org.minivpn.tls.trust.Signers;

/** Our side of a server handshake: TLS 1.3, a client certificate required and checked by {@link PeerCheck}. */
final class TlsServerPeer extends AbstractTlsServer {

    private final CryptoState crypto;
    private final Credentials credentials;
    private volatile PeerInfo client; // set during the handshake

    TlsServerPeer(CryptoState crypto, Credentials credentials) {
        super(crypto.tls());
        this.crypto = crypto;
        this.credentials = credentials;
    }

    PeerInfo client() {
        return client;
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

    /** RFC 8446 4.3.2: an empty request context, our CA as the only acceptable authority. */
    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        Vector<X500Name> authorities = new Vector<>();
        authorities.add(X500Name.getInstance(credentials.ca.getSubjectX500Principal().getEncoded()));
        return new CertificateRequest(TlsUtils.EMPTY_BYTES, crypto.signatureSchemes(), null, authorities);
    }

    @Override
    public void notifyClientCertificate(Certificate certificate) throws IOException {
        if (certificate == null || certificate.isEmpty()) {
            throw new Refusal(AlertDescription.certificate_required,
                    "the client sent no certificate: every client needs one issued by this server's CA");
        }
        client = PeerCheck.verify(credentials, PeerCheck.certificates(certificate), PeerCheck.Role.CLIENT, null, List.of());
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        return Signers.create(context, crypto, credentials, context.getSecurityParametersHandshake().getClientSigAlgs());
    }
}

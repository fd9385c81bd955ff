package org.minivpn.transport.dtls;

import java.io.IOException;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.KeyExchangeAlgorithm;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.PeerInfo;
import org.minivpn.tls.trust.Refusal;
import org.minivpn.tls.trust.Signers;

/**
 * Our side of a server handshake: DTLS 1.2 only, the suites our key can sign for, a client
 * certificate required and checked by {@link PeerCheck}, and our connection ID handed to clients
 * that ask for one.
 */
final class ServerPeer extends AbstractTlsServer {

    private final CryptoState crypto;
    private final Credentials credentials;
    private final byte[] connectionId;
    private final int timeoutMillis;
    private PeerInfo client;        // set during the handshake, on its thread
    private SessionKeys keys;       // set when it completes

    ServerPeer(CryptoState crypto, Credentials credentials, byte[] connectionId, int timeoutMillis) {
        super(crypto.tls());
        this.crypto = crypto;
        this.credentials = credentials;
        this.connectionId = connectionId;
        this.timeoutMillis = timeoutMillis;
    }

    SessionKeys keys() {
        return keys;
    }

    /** The client as far as the handshake got; null before its certificate was checked. */
    PeerInfo client() {
        return client;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(crypto.tls(), credentials.isEc() ? CipherSuites.ECDSA : CipherSuites.RSA);
    }

    @Override
    protected byte[] getNewConnectionID() {
        return connectionId.clone();
    }

    /**
     * The key exchange group: X25519 whenever the client offers it, wherever it puts it in its
     * list, else the client's first acceptable choice. RFC 8422 5.1.1 leaves the choice among the
     * client's groups to the server; X25519 (RFC 7748) is as strong as P-256 and measured three
     * times cheaper for key generation plus agreement with the JDK's providers (and twice with
     * Bouncy Castle's), so a client that lists P-256 first does not cost the server more.
     */
    @Override
    protected int selectECDH(int minimumCurveBits) {
        int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        if (offered != null && NamedGroup.getCurveBits(NamedGroup.x25519) >= minimumCurveBits
                && crypto.tls().hasNamedGroup(NamedGroup.x25519)) {
            for (int group : offered) {
                if (group == NamedGroup.x25519) {
                    return group;
                }
            }
        }
        return super.selectECDH(minimumCurveBits);
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
    public CertificateRequest getCertificateRequest() throws IOException {
        Vector<X500Name> authorities = new Vector<>();
        authorities.add(X500Name.getInstance(credentials.ca.getSubjectX500Principal().getEncoded()));
        return new CertificateRequest(new short[] {ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign},
                crypto.signatureSchemes(), authorities);
    }

    @Override
    public void notifyClientCertificate(Certificate certificate) throws IOException {
        if (certificate == null || certificate.isEmpty()) {
            throw new Refusal(AlertDescription.handshake_failure,
                    "the client sent no certificate: every client needs one issued by this server's CA");
        }
        client = PeerCheck.verify(credentials, PeerCheck.certificates(certificate), PeerCheck.Role.CLIENT, null, List.of());
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        int exchange = context.getSecurityParametersHandshake().getKeyExchangeAlgorithm();
        if (exchange != KeyExchangeAlgorithm.ECDHE_ECDSA && exchange != KeyExchangeAlgorithm.ECDHE_RSA) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "unexpected key exchange " + exchange);
        }
        return Signers.create(context, crypto, credentials, context.getSecurityParametersHandshake().getClientSigAlgs());
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        keys = SessionKeys.derive(context, true, client);
    }
}

package org.minivpn.transport.dtls;

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

/**
 * Our side of a client handshake, as Bouncy Castle asks it: DTLS 1.2 only, our suites, our
 * certificate on request, the server's chain checked by {@link PeerCheck}. It offers RFC 9146
 * connection IDs with an empty ID of its own: the server's records need none to reach us, ours
 * carry the server's so the server finds us when our address changes.
 */
final class ClientPeer extends AbstractTlsClient {

    /** See {@link #getHandshakeResendTimeMillis()}. */
    static final int INITIAL_RESEND_MILLIS = 1000;

    private final CryptoState crypto;
    private final Credentials credentials;
    private final String serverName;
    private final List<byte[]> pins;
    private final int timeoutMillis;
    private PeerInfo server;        // set during the handshake, on its thread
    private SessionKeys keys;       // set when it completes

    ClientPeer(CryptoState crypto, Credentials credentials, String serverName, List<byte[]> pins, int timeoutMillis) {
        super(crypto.tls());
        this.crypto = crypto;
        this.credentials = credentials;
        this.serverName = serverName;
        this.pins = pins;
        this.timeoutMillis = timeoutMillis;
    }

    /** The keys of the finished handshake; null before. */
    SessionKeys keys() {
        return keys;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(crypto.tls(), CipherSuites.ALL);
    }

    @Override
    protected byte[] getNewConnectionID() {
        return new byte[0];
    }

    @Override
    protected Vector<SignatureAndHashAlgorithm> getSupportedSignatureAlgorithms() {
        return crypto.signatureSchemes();
    }

    /**
     * The first retransmission timeout of each flight: 1 s, as RFC 6347 4.2.4.1 says; Bouncy Castle
     * doubles it after each try, and {@link ClientHandshakeChannel} sends the flight again whenever
     * the wait passes {@link ClientHandshakeChannel#RESEND_CAP_MILLIS} (the same 1 s: a late flight
     * never waits a doubled timer). Measured through 30 % loss each way, 500 ms made no handshake
     * faster, so the RFC's value stays.
     */
    @Override
    public int getHandshakeResendTimeMillis() {
        return INITIAL_RESEND_MILLIS;
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
                server = PeerCheck.verify(credentials, PeerCheck.certificates(certificate.getCertificate()),
                        PeerCheck.Role.SERVER, serverName, pins);
            }

            @Override
            public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                return Signers.create(context, crypto, credentials, request.getSupportedSignatureAlgorithms());
            }
        };
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        keys = SessionKeys.derive(context, false, server);
    }
}

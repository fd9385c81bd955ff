package org.minivpn.loadgen;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Vector;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * A stand-in for a MiniVPN server's DTLS side, on Bouncy Castle's own server protocol: DTLS 1.2,
 * ECDHE-ECDSA, a client certificate required, and a connection ID for the client's records, as
 * the real server does. It accepts one client on the loopback; the test speaks the relay protocol.
 */
final class FakeServer implements AutoCloseable {

    private final DatagramSocket socket;
    private final BcTlsCrypto crypto;
    private final TestPki.Issued identity;
    private volatile String clientSubject;

    FakeServer(BcTlsCrypto crypto, TestPki.Issued identity) throws IOException {
        this.crypto = crypto;
        this.identity = identity;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The subject of the certificate the last client presented, or null. */
    String clientSubject() {
        return clientSubject;
    }

    /** Accepts one client's handshake within the timeout. */
    DTLSTransport accept(int timeoutMillis) throws IOException {
        DTLSServerProtocol protocol = new DTLSServerProtocol();
        protocol.setVerifyRequests(false);
        return protocol.accept(new Peer(timeoutMillis), new Transport());
    }

    @Override
    public void close() {
        socket.close();
    }

    /** The server socket, connected to the first peer that sends to it. */
    private final class Transport implements DatagramTransport {

        @Override
        public int getReceiveLimit() {
            return 65535;
        }

        @Override
        public int getSendLimit() {
            return 1400;
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            socket.setSoTimeout(Math.max(1, waitMillis));
            DatagramPacket p = new DatagramPacket(buf, off, len);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return -1;
            }
            if (!socket.isConnected()) {
                socket.connect(p.getSocketAddress());
            }
            return p.getLength();
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            socket.send(new DatagramPacket(buf, off, len));
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    private final class Peer extends DefaultTlsServer {

        private final int timeoutMillis;

        Peer(int timeoutMillis) {
            super(crypto);
            this.timeoutMillis = timeoutMillis;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
        }

        @Override
        protected byte[] getNewConnectionID() {
            return new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return timeoutMillis;
        }

        @Override
        protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
            try {
                TlsCertificate own = crypto.createCertificate(identity.certificate().getEncoded());
                return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto,
                        PrivateKeyFactory.createKey(identity.keys().getPrivate().getEncoded()),
                        new Certificate(new TlsCertificate[] {own}), Identity.ECDSA_SHA256);
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }

        @Override
        public CertificateRequest getCertificateRequest() {
            Vector<SignatureAndHashAlgorithm> algorithms = new Vector<>();
            algorithms.add(Identity.ECDSA_SHA256);
            return new CertificateRequest(new short[] {ClientCertificateType.ecdsa_sign}, algorithms, null);
        }

        @Override
        public void notifyClientCertificate(Certificate certificate) throws IOException {
            try {
                X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(certificate.getCertificateAt(0).getEncoded()));
                clientSubject = c.getSubjectX500Principal().getName();
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
    }
}

package org.minivpn.loadgen;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * The client identity every session presents, and the CA the server must prove itself against,
 * read once from the PEM files {@code vpn:pki export} writes. Immutable and safe for any number of
 * handshakes at once.
 *
 * <p>The key must be EC (what {@code vpn:pki} makes): the server speaks ECDHE-ECDSA suites only.
 */
final class Identity {

    /** The one signature scheme we sign with: what an EC P-256 key and the server both support. */
    static final SignatureAndHashAlgorithm ECDSA_SHA256 =
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";

    private final BcTlsCrypto crypto;
    private final X509Certificate ca;
    private final Certificate chain;
    private final AsymmetricKeyParameter key;
    private final Provider verifier = new BouncyCastleProvider();

    /**
     * @throws IOException when a file is missing or is not what it should be; the message names it
     */
    Identity(BcTlsCrypto crypto, Path caFile, Path certFile, Path keyFile) throws IOException {
        this.crypto = crypto;
        List<X509Certificate> cas = certificates(caFile);
        if (cas.isEmpty()) {
            throw new IOException(caFile + " holds no certificate");
        }
        this.ca = cas.get(0);
        List<X509Certificate> own = certificates(certFile);
        if (own.isEmpty()) {
            throw new IOException(certFile + " holds no certificate");
        }
        TlsCertificate[] tls = new TlsCertificate[own.size()];
        for (int i = 0; i < tls.length; i++) {
            try {
                tls[i] = crypto.createCertificate(own.get(i).getEncoded());
            } catch (GeneralSecurityException e) {
                throw new IOException(certFile + ": " + e.getMessage(), e);
            }
        }
        this.chain = new Certificate(tls);
        this.key = privateKey(keyFile);
    }

    /** The name (subject CN or whole subject) of the certificate the sessions present. */
    String name() throws IOException {
        return certificate(chain.getCertificateAt(0).getEncoded()).getSubjectX500Principal().getName();
    }

    /**
     * Checks the server's certificate: issued (signed) by our CA and valid now. The name in it is
     * not checked: a load test trusts the address it was given.
     *
     * @throws TlsFatalAlert with bad_certificate (sent to the server) saying why it is refused
     */
    void checkServer(Certificate serverChain) throws IOException {
        if (serverChain == null || serverChain.isEmpty()) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "the server sent no certificate");
        }
        X509Certificate server = certificate(serverChain.getCertificateAt(0).getEncoded());
        try {
            server.checkValidity();
            server.verify(ca.getPublicKey(), verifier);
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "the server's certificate '"
                    + server.getSubjectX500Principal().getName() + "' is not acceptable: " + e.getMessage());
        }
    }

    /**
     * Our certificate and key as the signing credentials of one handshake.
     *
     * @param accepted the signature schemes the server's certificate request allows
     * @throws TlsFatalAlert with handshake_failure when the server accepts no ECDSA with SHA-256
     */
    TlsCredentialedSigner signer(TlsContext context, Vector<?> accepted) throws IOException {
        if (accepted != null && !accepted.contains(ECDSA_SHA256)) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the server accepts no ECDSA with SHA-256");
        }
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, key, chain, ECDSA_SHA256);
    }

    private static List<X509Certificate> certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static X509Certificate certificate(byte[] der) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "a certificate cannot be parsed: " + e.getMessage());
        }
    }

    private static AsymmetricKeyParameter privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = text.indexOf(BEGIN_KEY);
        int end = begin < 0 ? -1 : text.indexOf(END_KEY, begin);
        if (end < 0) {
            throw new IOException(file + " is not an unencrypted PEM PKCS#8 key (BEGIN PRIVATE KEY)");
        }
        AsymmetricKeyParameter key;
        try {
            key = PrivateKeyFactory.createKey(Base64.getMimeDecoder().decode(text.substring(begin + BEGIN_KEY.length(), end)));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (!(key instanceof ECPrivateKeyParameters)) {
            throw new IOException(file + " is not an EC key: the server speaks ECDHE-ECDSA only; issue one with vpn:pki");
        }
        return key;
    }
}

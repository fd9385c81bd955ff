package org.minivpn.tls.trust;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;

/** Our certificate and key as Bouncy Castle signing credentials, with a signature scheme the peer accepts. */
public final class Signers {

    private static final List<SignatureAndHashAlgorithm> ECDSA = List.of(
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa));

    private static final List<SignatureAndHashAlgorithm> RSA = List.of(
            SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
            SignatureAndHashAlgorithm.rsa_pss_rsae_sha384,
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa),
            SignatureAndHashAlgorithm.rsa_pss_rsae_sha512,
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.rsa));

    private Signers() {
    }

    /**
     * @param peerAlgorithms the signature schemes the peer offered (its signature_algorithms, or
     *     the certificate request's); null when it sent none
     */
    public static TlsCredentialedSigner create(TlsContext context, CryptoState crypto, Credentials credentials,
            Vector<?> peerAlgorithms) throws IOException {
        return create(context, crypto, credentials, peerAlgorithms, TlsUtils.EMPTY_BYTES);
    }

    /**
     * @param requestContext in TLS 1.3, the certificate_request_context our Certificate message must
     *     echo (RFC 8446 4.4.2): empty for a server, the CertificateRequest's for a client
     */
    public static TlsCredentialedSigner create(TlsContext context, CryptoState crypto, Credentials credentials,
            Vector<?> peerAlgorithms, byte[] requestContext) throws IOException {
        List<SignatureAndHashAlgorithm> ours = credentials.isEc() ? ECDSA : RSA;
        List<SignatureAndHashAlgorithm> possible = crypto.signatureSchemes();
        SignatureAndHashAlgorithm chosen = null;
        for (SignatureAndHashAlgorithm a : ours) {
            if (possible.contains(a) && (peerAlgorithms == null || peerAlgorithms.contains(a))) {
                chosen = a;
                break;
            }
        }
        if (chosen == null) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the peer accepts no signature scheme for our "
                    + (credentials.isEc() ? "EC" : "RSA") + " key");
        }
        TlsCertificate[] chain = new TlsCertificate[credentials.chain.size()];
        CertificateEntry[] entries = new CertificateEntry[chain.length];
        for (int i = 0; i < chain.length; i++) {
            X509Certificate c = credentials.chain.get(i);
            try {
                chain[i] = crypto.tls().createCertificate(c.getEncoded());
                entries[i] = new CertificateEntry(chain[i], null);
            } catch (CertificateEncodingException e) {
                throw new TlsFatalAlert(AlertDescription.internal_error, "cannot encode our certificate", e);
            }
        }
        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto.tls(), credentials.key,
                TlsUtils.isTLSv13(context) ? new Certificate(requestContext, entries) : new Certificate(chain), chosen);
    }
}

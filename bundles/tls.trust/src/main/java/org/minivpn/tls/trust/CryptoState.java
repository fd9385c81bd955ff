package org.minivpn.tls.trust;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;
import org.minivpn.api.crypto.CryptoBackend;

/**
 * One crypto backend ready for use: its provider, the Bouncy Castle crypto built on it that
 * handshakes compute with, and the signature schemes it can really run. A handshake takes the
 * current one and keeps it for its session's life.
 *
 * @param rsaPss whether the provider signs and verifies RSASSA-PSS under the names Bouncy Castle
 *     asks for (the JDK's providers do not, so JDK sessions use PKCS#1 v1.5 RSA signatures)
 */
public record CryptoState(CryptoBackend backend, JcaTlsCrypto tls, boolean rsaPss) {

    public static CryptoState of(CryptoBackend backend) {
        JcaTlsCryptoProvider factory = new JcaTlsCryptoProvider();
        if (backend.provider() != null) {
            factory.setProvider(backend.provider());
        }
        return new CryptoState(backend, factory.create(new SecureRandom()), hasRsaPss(backend.provider()));
    }

    /** The provider of record ciphers, or null for the JDK's. */
    public Provider provider() {
        return backend.provider();
    }

    public String name() {
        return backend.name();
    }

    /** Signature schemes to offer (signature_algorithms, CertificateRequest), most preferred first. */
    public Vector<SignatureAndHashAlgorithm> signatureSchemes() {
        Vector<SignatureAndHashAlgorithm> schemes = new Vector<>(List.of(
                SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa),
                SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
                SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa)));
        if (rsaPss) {
            schemes.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha256);
            schemes.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha384);
            schemes.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha512);
        }
        schemes.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa));
        schemes.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa));
        schemes.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.rsa));
        return schemes;
    }

    private static boolean hasRsaPss(Provider provider) {
        for (String name : List.of("SHA256WITHRSAANDMGF1", "SHA256WITHRSASSA-PSS")) {
            try {
                if (provider == null) {
                    Signature.getInstance(name);
                } else {
                    Signature.getInstance(name, provider);
                }
                return true;
            } catch (NoSuchAlgorithmException e) {
                // try the other name
            }
        }
        return false;
    }
}

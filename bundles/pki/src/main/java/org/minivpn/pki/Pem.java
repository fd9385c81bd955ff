package org.minivpn.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM encoding of what the CA writes and reads: certificates, CRLs, and private keys as unencrypted
 * PKCS#8 ("BEGIN PRIVATE KEY"), the form openssl and Bouncy Castle's TLS read without a password.
 * Read failures become a {@link PkiException} that names the file and says why; the caller adds
 * what to do, which depends on the file.
 */
final class Pem {

    private final Provider provider;

    Pem(Provider provider) {
        this.provider = provider;
    }

    static byte[] encode(Object... objects) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            for (Object o : objects) {
                w.writeObject(o instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : o);
            }
        } catch (IOException e) {
            throw new IllegalStateException("PEM encoding into memory failed", e); // no I/O can fail here
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    X509Certificate certificate(Path file) throws PkiException {
        X509CertificateHolder holder = read(file, X509CertificateHolder.class, "a certificate");
        try {
            return new JcaX509CertificateConverter().setProvider(provider).getCertificate(holder);
        } catch (CertificateException e) {
            throw unreadable(file, "not a usable certificate (" + e.getMessage() + ")", e);
        }
    }

    PrivateKey privateKey(Path file) throws PkiException {
        PrivateKeyInfo info = read(file, PrivateKeyInfo.class, "a PKCS#8 private key (BEGIN PRIVATE KEY)");
        try {
            return new JcaPEMKeyConverter().setProvider(provider).getPrivateKey(info);
        } catch (IOException e) {
            throw unreadable(file, "not a usable private key (" + e.getMessage() + ")", e);
        }
    }

    X509CRLHolder crlHolder(Path file) throws PkiException {
        return read(file, X509CRLHolder.class, "a certificate revocation list");
    }

    X509CRL crl(Path file) throws PkiException {
        try {
            return new JcaX509CRLConverter().setProvider(provider).getCRL(crlHolder(file));
        } catch (CRLException e) {
            throw unreadable(file, "not a usable CRL (" + e.getMessage() + ")", e);
        }
    }

    private static <T> T read(Path file, Class<T> type, String what) throws PkiException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new PkiException("cannot read " + file + ": it is missing");
        } catch (IOException e) {
            throw unreadable(file, e.getMessage(), e);
        }
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o = parser.readObject();
            if (type.isInstance(o)) {
                return type.cast(o);
            }
            throw unreadable(file, o == null ? "no PEM content" : "it holds " + o.getClass().getSimpleName()
                    + ", not " + what, null);
        } catch (IOException | RuntimeException e) {
            throw unreadable(file, "not valid PEM (" + e.getMessage() + ")", e);
        }
    }

    private static PkiException unreadable(Path file, String why, Throwable cause) {
        return new PkiException("cannot read " + file + ": " + why, cause);
    }
}

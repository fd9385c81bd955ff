package org.minivpn.pki;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * What a profile's PEM blocks must hold before anything is written: a CA certificate, a client
 * certificate that CA signed and that is valid now, the private key of that certificate (proved by
 * a signature its public key verifies), and, when there is one, a CRL the CA signed that does not
 * revoke the certificate. An .ovpn file gets no such check from OpenVPN until the handshake fails;
 * here a damaged or mixed-up profile is refused at import, with what to do. Plain Java (the JDK's
 * X.509 and key factories), so that the launcher can run it outside the framework.
 */
final class ProfileCheck {

    /** TLS Web Client Authentication (RFC 5280 4.2.1.12). */
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String AGAIN = ": export the profile again on the server (vpn:pki export NAME --profile FILE"
            + " --server HOST)";

    private ProfileCheck() {
    }

    /**
     * What the blocks hold, checked.
     *
     * @param name the certificate's CN: the identity the server sees, and the name of its files
     */
    record Checked(String name, X509Certificate ca, X509Certificate certificate, X509CRL crl) {
    }

    static Checked check(ClientProfile p, String source, Date now) throws PkiException {
        X509Certificate ca = certificate(p.ca(), source, "ca");
        if (ca.getBasicConstraints() < 0) {
            throw new PkiException(source + ": the <ca> block holds '" + cn(ca) + "', which is not a CA certificate"
                    + AGAIN);
        }
        X509Certificate cert = certificate(p.certificate(), source, "cert");
        if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            throw new PkiException(source + ": the certificate of '" + cn(cert) + "' was issued by '"
                    + cert.getIssuerX500Principal().getName() + "', not by the CA in the profile ('" + cn(ca) + "')"
                    + AGAIN);
        }
        try {
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new PkiException(source + ": the certificate of '" + cn(cert) + "' is not signed by the CA in the"
                    + " profile (" + e.getMessage() + ")" + AGAIN);
        }
        String name = FileNames.checkName(cn(cert));
        try {
            List<String> usage = cert.getExtendedKeyUsage();
            if (usage != null && !usage.contains(CLIENT_AUTH)) {
                throw new PkiException(source + ": '" + name + "' has no client certificate (its key usage is for "
                        + "servers): export the profile of a client, made with vpn:pki client NAME");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new PkiException(source + ": cannot read the key usage of '" + name + "': " + e.getMessage() + AGAIN);
        }
        try {
            cert.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new PkiException(source + ": the certificate of '" + name + "' expired on "
                    + cert.getNotAfter().toInstant() + ": issue a new one on the server (vpn:pki client " + name
                    + " --force), then export the profile again");
        } catch (CertificateNotYetValidException e) {
            throw new PkiException(source + ": the certificate of '" + name + "' is valid only from "
                    + cert.getNotBefore().toInstant() + ": check this machine's clock");
        }
        matches(cert, privateKey(p.key(), source, cert), source, name);
        X509CRL crl = p.crl().isEmpty() ? null : crl(p.crl(), source, ca, cert, name);
        return new Checked(name, ca, cert, crl);
    }

    private static X509Certificate certificate(String pem, String source, String block) throws PkiException {
        Collection<? extends java.security.cert.Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException(source + ": the <" + block + "> block is not a PEM certificate (" + e.getMessage()
                    + ")" + AGAIN);
        }
        if (certs.size() != 1 || !(certs.iterator().next() instanceof X509Certificate c)) {
            throw new PkiException(source + ": the <" + block + "> block must hold one PEM certificate, not "
                    + certs.size() + AGAIN);
        }
        return c;
    }

    /** An unencrypted PKCS#8 key ("BEGIN PRIVATE KEY") of the certificate's algorithm (EC or RSA). */
    private static PrivateKey privateKey(String pem, String source, X509Certificate cert) throws PkiException {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b || pem.indexOf(begin, b + 1) >= 0) {
            throw new PkiException(source + ": the <key> block must hold one unencrypted PKCS#8 key between " + begin
                    + " and " + end + AGAIN);
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
            return KeyFactory.getInstance(cert.getPublicKey().getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException ex) {
            throw new PkiException(source + ": the <key> block is not a usable " + cert.getPublicKey().getAlgorithm()
                    + " private key (" + ex.getMessage() + ")" + AGAIN);
        }
    }

    /** The key belongs to the certificate if the certificate's public key verifies what the key signed. */
    private static void matches(X509Certificate cert, PrivateKey key, String source, String name) throws PkiException {
        String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean ok;
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(challenge);
            byte[] signature = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            ok = v.verify(signature);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new PkiException(source + ": the private key in <key> does not belong to the certificate of '" + name
                    + "' in <cert>" + AGAIN);
        }
    }

    private static X509CRL crl(String pem, String source, X509Certificate ca, X509Certificate cert, String name)
            throws PkiException {
        X509CRL crl;
        try {
            crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            crl.verify(ca.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException(source + ": the <crl> block is not a revocation list signed by the profile's CA ("
                    + e.getMessage() + ")" + AGAIN);
        }
        X509CRLEntry revoked = crl.getRevokedCertificate(cert);
        if (revoked != null) {
            throw new PkiException(source + ": the certificate of '" + name + "' is revoked (since "
                    + revoked.getRevocationDate().toInstant() + "): ask for a new certificate and profile");
        }
        return crl;
    }

    /**
     * The certificate's common name, or its whole subject when it has none. An escaped comma is
     * not undone: such a name fails {@link FileNames#checkName} either way.
     */
    static String cn(X509Certificate c) {
        String dn = c.getSubjectX500Principal().getName(X500Principal.RFC2253);
        for (String rdn : dn.split(",")) {
            if (rdn.regionMatches(true, 0, "CN=", 0, 3)) {
                return rdn.substring(3);
            }
        }
        return dn;
    }
}

package org.minivpn.loadgen;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA with EC P-256 certificates, written as PEM files the way vpn:pki export writes them. */
final class TestPki {

    /** A certificate and its key pair. */
    record Issued(X509Certificate certificate, KeyPair keys) {
    }

    private final Issued ca;
    private long serial = 1;

    TestPki(String caName) throws GeneralSecurityException {
        KeyPair keys = keyPair();
        this.ca = new Issued(sign(caName, keys, caName, keys, true), keys);
    }

    Issued ca() {
        return ca;
    }

    Issued issue(String name) throws GeneralSecurityException {
        KeyPair keys = keyPair();
        return new Issued(sign(name, keys, subjectOf(ca), ca.keys(), false), keys);
    }

    static void writeCertificate(Path file, X509Certificate c) throws IOException, GeneralSecurityException {
        Files.writeString(file, pem("CERTIFICATE", c.getEncoded()), StandardCharsets.US_ASCII);
    }

    static void writeKey(Path file, KeyPair keys) throws IOException {
        Files.writeString(file, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String subjectOf(Issued issued) {
        return issued.certificate().getSubjectX500Principal().getName().replace("CN=", "");
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean isCa)
            throws GeneralSecurityException {
        long now = System.currentTimeMillis();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuer),
                BigInteger.valueOf(serial++), new Date(now - 60_000), new Date(now + 86_400_000), new X500Name("CN=" + subject),
                subjectKeys.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (IOException | OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}

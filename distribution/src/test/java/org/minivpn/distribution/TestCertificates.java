package org.minivpn.distribution;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Writes a CA and one certificate for both roles into an appliance's pki/ folder, with Bouncy
 * Castle's bcpkix. Runs only inside the framework (Pax Exam's probe imports bcpkix from the
 * distribution's bundle); test classes must not name it in fields or signatures.
 */
public final class TestCertificates {

    private TestCertificates() {
    }

    /**
     * pki/ca.crt, pki/crl.pem (empty), pki/NAME.crt and pki/NAME.key (EC P-256); the certificate names
     * 127.0.0.1 as an IP subject alternative name, so a client that connects to the loopback address
     * accepts it.
     */
    public static void write(Path pki, String name) throws Exception {
        KeyPair caKey = ecKey();
        KeyPair key = ecKey();
        Instant now = Instant.now();
        X500Name ca = new X500Name("CN=Pax Exam CA");
        var caBuilder = new JcaX509v3CertificateBuilder(ca, BigInteger.ONE, Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))), ca, caKey.getPublic());
        caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        var builder = new JcaX509v3CertificateBuilder(ca, BigInteger.TWO, Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + name), key.getPublic());
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate());
        X509Certificate caCert = new JcaX509CertificateConverter().getCertificate(caBuilder.build(signer));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        Files.createDirectories(pki);
        pem(pki.resolve("ca.crt"), "CERTIFICATE", caCert.getEncoded());
        var crl = new JcaX509v2CRLBuilder(caCert, Date.from(now.minusSeconds(60)));
        crl.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
        pem(pki.resolve("crl.pem"), "X509 CRL", crl.build(signer).getEncoded());
        pem(pki.resolve(name + ".key"), "PRIVATE KEY", key.getPrivate().getEncoded());
        pem(pki.resolve(name + ".crt"), "CERTIFICATE", cert.getEncoded());
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static void pem(Path file, String type, byte[] der) throws Exception {
        Files.writeString(file, "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + type + "-----\n",
                StandardCharsets.US_ASCII);
    }
}

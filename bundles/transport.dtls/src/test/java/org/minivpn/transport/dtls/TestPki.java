package org.minivpn.transport.dtls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA for tests: PEM files in a folder, laid out as the appliance's pki/ folder. */
final class TestPki {

    enum Usage { SERVER, CLIENT, NONE }

    final Path dir;
    final String caName;
    private final KeyPair caKey;
    final X509Certificate ca;
    private final List<X509Certificate> revoked = new ArrayList<>();
    private long serial = 1;

    TestPki(Path dir, String caName) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caName = caName;
        this.caKey = ecKey();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + caName);
        var builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(serial++), Date.from(now.minusSeconds(3600)),
                Date.from(now.plus(Duration.ofDays(30))), subject, caKey.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.ca = sign(builder, caKey);
        writePem(dir.resolve("ca.crt"), "CERTIFICATE", ca.getEncoded());
        writeCrl(); // a server refuses clients without one, as the CA's own vpn:pki init writes one
    }

    /** Issues {@code name}.crt and {@code name}.key (EC P-256, or RSA 2048) valid from now for a day. */
    X509Certificate issue(String name, Usage usage, boolean rsa, String... dnsOrIp) throws Exception {
        Instant now = Instant.now();
        return issue(name, usage, rsa, now.minusSeconds(3600), now.plus(Duration.ofDays(1)), dnsOrIp);
    }

    X509Certificate issue(String name, Usage usage, boolean rsa, Instant notBefore, Instant notAfter, String... dnsOrIp)
            throws Exception {
        KeyPair key = rsa ? rsaKey() : ecKey();
        var builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + caName), BigInteger.valueOf(serial++),
                Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + name + ",O=MiniVPN test"), key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (usage != Usage.NONE) {
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    usage == Usage.SERVER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
        }
        if (dnsOrIp.length > 0) {
            GeneralName[] names = new GeneralName[dnsOrIp.length];
            for (int i = 0; i < names.length; i++) {
                boolean ip = dnsOrIp[i].matches("[0-9.]+") || dnsOrIp[i].contains(":");
                names[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, dnsOrIp[i]);
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        X509Certificate cert = sign(builder, caKey);
        writePem(dir.resolve(name + ".crt"), "CERTIFICATE", cert.getEncoded());
        writePem(dir.resolve(name + ".key"), "PRIVATE KEY", key.getPrivate().getEncoded());
        return cert;
    }

    /** Adds {@code cert} to the CRL and rewrites crl.pem (atomically, as the appliance's CA does). */
    void revoke(X509Certificate cert) throws Exception {
        revoked.add(cert);
        writeCrl();
    }

    /** Writes a CRL (possibly empty), valid for a week. */
    void writeCrl() throws Exception {
        writeCrl(Instant.now().plus(Duration.ofDays(7)));
    }

    /** Writes a CRL (possibly empty) whose next update is {@code nextUpdate}. */
    void writeCrl(Instant nextUpdate) throws Exception {
        Instant now = Instant.now();
        var builder = new JcaX509v2CRLBuilder(ca, Date.from(now.minusSeconds(3600)));
        builder.setNextUpdate(Date.from(nextUpdate));
        for (X509Certificate c : revoked) {
            builder.addCRLEntry(c.getSerialNumber(), Date.from(now.minusSeconds(1)), CRLReason.keyCompromise);
        }
        X509CRL crl = new JcaX509CRLConverter().getCRL(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
        writePem(dir.resolve("crl.pem"), "X509 CRL", crl.getEncoded());
    }

    /** Settings for the appliance called {@code name}, with short timeouts for tests. */
    DtlsSettings settings(String name) {
        return new DtlsSettings(dir.resolve("ca.crt"), dir.resolve(name + ".crt"), dir.resolve(name + ".key"),
                dir.resolve("crl.pem"), List.of(), Duration.ofSeconds(5), 2, 64, Duration.ofSeconds(60), 1500);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair issuer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    private static KeyPair ecKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static KeyPair rsaKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static void writePem(Path file, String type, byte[] der) throws IOException {
        String pem = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

package org.minivpn.transport.tls;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.tls.trust.TrustFiles;

/** A throwaway EC CA for tests, laid out as the appliance's pki/ folder (ca.crt, crl.pem, NAME.crt/.key). */
final class Pki {

    final Path dir;
    private final String caName;
    private final KeyPair caKey;
    private final X509Certificate ca;
    private long serial = 1;

    Pki(Path dir, String caName) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caName = caName;
        this.caKey = ecKey();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + caName);
        var b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(serial++), Date.from(now.minusSeconds(3600)),
                Date.from(now.plus(Duration.ofDays(30))), subject, caKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        ca = sign(b);
        pem(dir.resolve("ca.crt"), "CERTIFICATE", ca.getEncoded());
        var crl = new JcaX509v2CRLBuilder(ca, Date.from(now.minusSeconds(3600)));
        crl.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
        pem(dir.resolve("crl.pem"), "X509 CRL", new JcaX509CRLConverter().getCRL(
                crl.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()))).getEncoded());
    }

    /** Issues NAME.crt and NAME.key for a server (with the given SANs) or a client. */
    void issue(String name, boolean server, String... sans) throws Exception {
        KeyPair key = ecKey();
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + caName), BigInteger.valueOf(serial++),
                Date.from(now.minusSeconds(3600)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + name),
                key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
        if (sans.length > 0) {
            GeneralName[] names = new GeneralName[sans.length];
            for (int i = 0; i < sans.length; i++) {
                names[i] = new GeneralName(sans[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, sans[i]);
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        pem(dir.resolve(name + ".crt"), "CERTIFICATE", sign(b).getEncoded());
        pem(dir.resolve(name + ".key"), "PRIVATE KEY", key.getPrivate().getEncoded());
    }

    /** Settings for the appliance called {@code name}, with short timeouts for tests. */
    TlsSettings settings(String name, Duration handshake, Duration idle, int maxHandshakes) {
        return new TlsSettings(new TrustFiles(dir.resolve("ca.crt"), dir.resolve(name + ".crt"), dir.resolve(name + ".key"),
                dir.resolve("crl.pem"), List.of(), "test"), 0, handshake, maxHandshakes, idle, Duration.ofSeconds(5),
                1500, 64, 0);
    }

    static TlsTransport transport(TlsSettings settings) {
        TlsTransport t = new TlsTransport(Path.of("").toAbsolutePath(), settings);
        t.setBackend(new CryptoBackend() {
            @Override
            public String name() {
                return "jca";
            }

            @Override
            public Provider provider() {
                return null;
            }
        });
        return t;
    }

    private X509Certificate sign(JcaX509v3CertificateBuilder b) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static void pem(Path file, String type, byte[] der) throws Exception {
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64,
                "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) + "\n-----END " + type + "-----\n");
    }
}

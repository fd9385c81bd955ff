package org.minivpn.pki;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes EC P-256 keys, and certificates and CRLs signed with ECDSA-SHA256: the X.509 profile of the
 * CA, in one place. Everything here is in memory; {@link CertificateAuthority} decides what is
 * written where.
 */
final class Certificates {

    private static final String CURVE = "secp256r1";
    private static final String SIGNATURE = "SHA256withECDSA";

    private final Provider provider;
    private final SecureRandom random = new SecureRandom();

    Certificates(Provider provider) {
        this.provider = provider;
    }

    KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
            g.initialize(new ECGenParameterSpec(CURVE), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in " + provider.getName(), e);
        }
    }

    /**
     * A positive serial of up to 127 random bits, which is what RFC 5280 asks for (at most 20
     * octets) and keeps serials unguessable.
     */
    BigInteger newSerial() {
        BigInteger s;
        do {
            s = new BigInteger(127, random);
        } while (s.signum() == 0);
        return s;
    }

    /** A self-signed CA certificate that may sign end-entity certificates and CRLs, but no sub-CA. */
    X509Certificate ca(KeyPair keys, String commonName, BigInteger serial, Instant notBefore, Instant notAfter) {
        X500Name subject = name(commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial, Date.from(notBefore),
                    Date.from(notAfter), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(keys.getPublic()));
            return new JcaX509CertificateConverter().setProvider(provider)
                    .getCertificate(b.build(signer(keys.getPrivate())));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("building the CA certificate failed", e);
        }
    }

    /**
     * An end-entity certificate for a server (extendedKeyUsage serverAuth, the given subject
     * alternative names) or a client (clientAuth), with {@code commonName} as its CN.
     */
    X509Certificate endEntity(X509Certificate ca, PrivateKey caKey, PublicKey key, String commonName,
            IssuedCertificate.Kind kind, List<GeneralName> altNames, BigInteger serial, Instant notBefore,
            Instant notAfter) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            KeyPurposeId purpose = kind == IssuedCertificate.Kind.SERVER
                    ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth;
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial, Date.from(notBefore),
                    Date.from(notAfter), name(commonName), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
            if (!altNames.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(altNames.toArray(GeneralName[]::new)));
            }
            return new JcaX509CertificateConverter().setProvider(provider).getCertificate(b.build(signer(caKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("building the certificate of " + commonName + " failed", e);
        }
    }

    /** A CRL listing every revoked certificate in {@code revoked}. */
    X509CRL crl(X509Certificate ca, PrivateKey caKey, Collection<IssuedCertificate> revoked, BigInteger number,
            Instant thisUpdate, Instant nextUpdate) {
        try {
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca, Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            for (IssuedCertificate c : revoked) {
                b.addCRLEntry(c.serial(), Date.from(c.revokedAt()), CRLReason.unspecified);
            }
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            return new JcaX509CRLConverter().setProvider(provider).getCRL(b.build(signer(caKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("building the CRL failed", e);
        }
    }

    /** Whether {@code key} is the private half of {@code certificate}'s public key. */
    boolean matches(X509Certificate certificate, PrivateKey key) {
        try {
            byte[] probe = "minivpn key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(SIGNATURE, provider);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(certificate.getPublicKey());
            s.update(probe);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(SIGNATURE).setProvider(provider).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("no " + SIGNATURE + " signer in " + provider.getName(), e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }
}

package org.minivpn.tls.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.crypto.TlsCertificate;

/**
 * Decides whether a peer's certificate chain is acceptable: issued by our CA, in its validity
 * period, not revoked by our CRL, meant for its role, and (for a server) carrying the expected
 * name or pinned fingerprint. Every refusal names its reason and the alert the peer gets.
 */
public final class PeerCheck {

    /** The role the peer plays; its certificate's extended key usage, when present, must allow it. */
    public enum Role {
        CLIENT("client", "1.3.6.1.5.5.7.3.2"),
        SERVER("server", "1.3.6.1.5.5.7.3.1");

        final String word;
        final String usage;

        Role(String word, String usage) {
            this.word = word;
            this.usage = usage;
        }
    }

    private static final String ANY_USAGE = "2.5.29.37.0";

    private PeerCheck() {
    }

    /**
     * Verifies {@code chain} (the peer's own certificate first).
     *
     * @param serverName for a server, the name its certificate must carry (DNS or IP subject
     *     alternative name, or CN), or null for any
     * @param pins for a server, SHA-256 fingerprints one of which its certificate must have, or empty
     * @throws Refusal saying why the peer is refused
     */
    public static PeerInfo verify(Credentials trust, List<X509Certificate> chain, Role role, String serverName, List<byte[]> pins)
            throws Refusal {
        if (chain.isEmpty()) {
            throw new Refusal(AlertDescription.handshake_failure, "the " + role.word + " sent no certificate");
        }
        X509Certificate own = chain.get(0);
        String who = identity(own);
        List<X509Certificate> path = withoutAnchor(chain, trust.ca);
        try {
            validate(path, trust.ca, trust.validated);
        } catch (CertPathValidatorException e) {
            throw refusal(e, path, trust.ca, role);
        } catch (GeneralSecurityException e) {
            throw new Refusal(AlertDescription.bad_certificate, "the " + role.word + "'s certificate '" + who
                    + "' cannot be checked: " + e.getMessage());
        }
        if (trust.crl != null) {
            for (X509Certificate c : path) {
                X509CRLEntry entry = trust.crl.getRevokedCertificate(c);
                if (entry != null) {
                    throw new Refusal(AlertDescription.certificate_revoked, "the " + role.word + "'s certificate '"
                            + identity(c) + "' (serial 0x" + c.getSerialNumber().toString(16) + ") is revoked by the CRL "
                            + trust.settings.crl() + " since " + entry.getRevocationDate().toInstant());
                }
            }
        }
        checkUsage(own, role, who);
        if (role == Role.SERVER && serverName != null && !matchesName(own, serverName)) {
            throw new Refusal(AlertDescription.bad_certificate, "the server's certificate '" + who + "' is for "
                    + names(own) + ", not '" + serverName + "': connect with a name or address its certificate"
                    + " carries (vpn:pki server NAME --san ADDRESS writes them), or set server.name");
        }
        if (role == Role.SERVER && !pins.isEmpty() && !pinned(own, pins)) {
            throw new Refusal(AlertDescription.bad_certificate, "the server's certificate '" + who + "' (SHA-256 "
                    + fingerprint(own) + ") is not one of the pins in " + trust.settings.configFile());
        }
        return new PeerInfo(who, chain);
    }

    /** Why {@code chain} does not chain to {@code ca}, or null when it does. */
    public static String chainProblem(List<X509Certificate> chain, X509Certificate ca) {
        try {
            validate(withoutAnchor(chain, ca), ca);
            return null;
        } catch (GeneralSecurityException e) {
            return e.getMessage();
        }
    }

    /** The certificates of a handshake's Certificate message. */
    public static List<X509Certificate> certificates(Certificate message) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (TlsCertificate c : message.getCertificateList()) {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(c.getEncoded())));
            }
        } catch (GeneralSecurityException e) {
            throw new Refusal(AlertDescription.bad_certificate, "the peer's certificate cannot be parsed: " + e.getMessage());
        }
        return chain;
    }

    /** The subject CN of {@code cert}, or its whole subject when it has none. */
    public static String identity(X509Certificate cert) {
        X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        RDN[] cns = name.getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            return cert.getSubjectX500Principal().getName();
        }
        return IETFUtils.valueToString(cns[cns.length - 1].getFirst().getValue());
    }

    public static String fingerprint(X509Certificate cert) {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(sha256(cert));
    }

    /** PKIX validation of {@code path}, skipped when {@code known} holds it and its dates still hold ({@link ValidatedChains}). */
    private static void validate(List<X509Certificate> path, X509Certificate ca, ValidatedChains known)
            throws GeneralSecurityException {
        ByteBuffer key = ValidatedChains.key(path);
        if (known.knows(key, System.currentTimeMillis())) {
            return;
        }
        validate(path, ca);
        known.validated(key, path);
    }

    private static void validate(List<X509Certificate> path, X509Certificate ca) throws GeneralSecurityException {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false); // our CRL is checked by hand, with a message that names it
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path),
                parameters);
    }

    private static List<X509Certificate> withoutAnchor(List<X509Certificate> chain, X509Certificate ca) {
        List<X509Certificate> path = new ArrayList<>(chain);
        path.removeIf(c -> c.equals(ca));
        return path.isEmpty() ? chain : path;
    }

    private static Refusal refusal(CertPathValidatorException e, List<X509Certificate> path, X509Certificate ca, Role role) {
        int index = e.getIndex();
        X509Certificate c = index >= 0 && index < path.size() ? path.get(index) : path.get(0);
        String subject = "the " + role.word + "'s certificate '" + identity(c) + "'";
        if (e.getReason() == BasicReason.EXPIRED) {
            return new Refusal(AlertDescription.certificate_expired, subject + " expired on " + c.getNotAfter().toInstant());
        }
        if (e.getReason() == BasicReason.NOT_YET_VALID) {
            return new Refusal(AlertDescription.certificate_expired, subject + " is not valid before "
                    + c.getNotBefore().toInstant() + " (check the clocks)");
        }
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR || e.getReason() == BasicReason.INVALID_SIGNATURE) {
            return new Refusal(AlertDescription.unknown_ca, subject + " is not issued by the configured CA '"
                    + identity(ca) + "' (its issuer is '" + c.getIssuerX500Principal().getName() + "')");
        }
        return new Refusal(AlertDescription.bad_certificate, subject + " is not acceptable: " + e.getMessage());
    }

    private static void checkUsage(X509Certificate own, Role role, String who) throws Refusal {
        List<String> usages;
        try {
            usages = own.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new Refusal(AlertDescription.bad_certificate, "the " + role.word + "'s certificate '" + who
                    + "' has a malformed extended key usage: " + e.getMessage());
        }
        if (usages != null && !usages.contains(role.usage) && !usages.contains(ANY_USAGE)) {
            throw new Refusal(AlertDescription.unsupported_certificate, "the " + role.word + "'s certificate '" + who
                    + "' is not meant for a " + role.word + " (its extended key usage lacks " + role.word + "Auth)");
        }
    }

    /**
     * Whether {@code cert} is for {@code serverName}, as RFC 6125 6.4 has it: an IP literal matches an
     * iPAddress subject alternative name only (RFC 2818 3.1, RFC 5280 4.2.1.6), a host name a dNSName
     * (a leading "*." covers one label); the subject CN is consulted only for a host name and only when
     * the certificate has no dNSName at all (RFC 6125 6.4.4), never for an address.
     */
    public static boolean matchesName(X509Certificate cert, String serverName) {
        String name = serverName.strip();
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        boolean ip = isIpLiteral(name);
        boolean hasDnsNames = false;
        for (List<?> san : subjectAltNames(cert)) {
            int type = (Integer) san.get(0);
            String value = String.valueOf(san.get(1));
            hasDnsNames |= type == 2;
            if ((type == 2 && !ip && dnsMatches(value, name)) || (type == 7 && ip && sameIp(value, name))) {
                return true;
            }
        }
        return !ip && !hasDnsNames && name.equalsIgnoreCase(identity(cert));
    }

    private static String names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        for (List<?> san : subjectAltNames(cert)) {
            int type = (Integer) san.get(0);
            if (type == 2 || type == 7) {
                names.add(String.valueOf(san.get(1)));
            }
        }
        return names.isEmpty() ? "(no alternative names)" : "(names " + String.join(", ", names) + ")";
    }

    private static Collection<List<?>> subjectAltNames(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans == null ? List.of() : sans;
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    private static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static boolean sameIp(String a, String b) {
        if (!isIpLiteral(a) || !isIpLiteral(b)) {
            return false;
        }
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean dnsMatches(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (p.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot).equals(p.substring(1));
        }
        return p.equals(h);
    }

    private static boolean pinned(X509Certificate cert, List<byte[]> pins) {
        byte[] digest = sha256(cert);
        for (byte[] pin : pins) {
            if (MessageDigest.isEqual(pin, digest)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] sha256(X509Certificate cert) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}

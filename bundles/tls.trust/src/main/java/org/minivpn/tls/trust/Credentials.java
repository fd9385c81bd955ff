package org.minivpn.tls.trust;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.minivpn.api.transport.NotConfiguredException;
import org.minivpn.api.transport.TransportException;

/**
 * This appliance's certificate files, read once: the CA that every peer must chain to, the CRL,
 * and our own certificate chain and private key. Immutable; the transport reads a new one
 * when a file changes. Missing or broken files leave {@link #problem()} saying what to do, and a
 * handshake then fails with that advice.
 */
public final class Credentials {

    /** How the problems that mean "never set up" begin ({@link #unconfigured}). */
    private static final String NO_CA = "no CA configured: ";
    private static final String NO_CERT = "no certificate for this appliance: ";

    
    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";

    public final TrustFiles settings;
    public final X509Certificate ca;          // null when missing or unreadable
    public final X509CRL crl;                 // null when there is no CRL file
    public final List<X509Certificate> chain; // ours, our own certificate first; empty when missing
    public final PrivateKey key;              // null when missing or unreadable
    private final String problem;      // null when handshakes can run
    public final String trustStamp;           // versions of the CA and CRL files
    public final String identityStamp;        // versions of the certificate and key files
    /** Peer paths that validated against this {@link #ca}; new credentials start with none. */
    public final ValidatedChains validated = new ValidatedChains();

    private Credentials(TrustFiles settings, X509Certificate ca, X509CRL crl, List<X509Certificate> chain,
            PrivateKey key, String problem, String trustStamp, String identityStamp) {
        this.settings = settings;
        this.ca = ca;
        this.crl = crl;
        this.chain = chain;
        this.key = key;
        this.problem = problem;
        this.trustStamp = trustStamp;
        this.identityStamp = identityStamp;
    }

    /** Reads the files named by {@code settings}; never throws: what went wrong goes to {@link #problem()}. */
    public static Credentials load(TrustFiles settings) {
        List<String> problems = new ArrayList<>();
        String trustStamp = stamp(settings.ca()) + "|" + stamp(settings.crl());
        String identityStamp = stamp(settings.cert()) + "|" + stamp(settings.key());
        X509Certificate ca = readCa(settings.ca(), settings.configFile(), problems);
        X509CRL crl = ca == null ? null : readCrl(settings.crl(), ca, problems);
        List<X509Certificate> chain = readChain(settings.cert(), settings.configFile(), ca, problems);
        PrivateKey key = chain.isEmpty() ? null : readKey(settings.key(), settings.configFile(), chain.get(0), problems);
        return new Credentials(settings, ca, crl, chain, key, problems.isEmpty() ? null : problems.get(0), trustStamp,
                identityStamp);
    }

    /** Whether the files changed since these credentials were read. */
    public boolean isStale() {
        return !trustStamp.equals(stamp(settings.ca()) + "|" + stamp(settings.crl()))
                || !identityStamp.equals(stamp(settings.cert()) + "|" + stamp(settings.key()));
    }

    /** Why no handshake can run, with what to do; null when all is in place. */
    public String problem() {
        return problem;
    }

    public void requireUsable() throws TransportException {
        if (problem != null) {
            throw failure(problem);
        }
    }

    /**
     * Whether the problem is that this appliance was never given its CA or its certificate (the
     * files do not exist), rather than that a file is broken: a person still has to set it up.
     */
    public boolean unconfigured() {
        return problem != null && (problem.startsWith(NO_CA) || problem.startsWith(NO_CERT));
    }

    private TransportException failure(String why) {
        return why.equals(problem) && unconfigured() ? new NotConfiguredException(why) : new TransportException(why);
    }

    /**
     * Why no client may be admitted, with what to do; null when all is in place. Beyond {@link
     * #problem()}, revocation fails closed on a server: a configured CRL that is missing, or past its
     * nextUpdate, refuses every new handshake (RFC 5280 5.1.2.5: a CRL past its next update is not to
     * be trusted as complete; OpenVPN's crl-verify refuses clients when the CRL cannot be read). An
     * empty {@code crl} setting runs without revocation. A client keeps using an old CRL and is only
     * warned: it checks the server, whose certificate the CA revokes far less often.
     */
    public String serverProblem() {
        if (problem != null) {
            return problem;
        }
        if (settings.crl() != null && crl == null) {
            return "the CRL " + settings.crl() + " is missing: run vpn:pki crl on the CA and put its pki/crl.pem there,"
                    + " or set crl = (empty) in " + settings.configFile() + " to run without revocation";
        }
        String expired = crlExpiry();
        return expired == null ? null : expired + ": no client is admitted until a fresh one is in place";
    }

    /** Why the CRL cannot be trusted as complete any more, or null. */
    public String crlExpiry() {
        if (crl == null || crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().isBefore(Instant.now())) {
            return null;
        }
        return "the CRL " + settings.crl() + " expired on " + crl.getNextUpdate().toInstant()
                + ": sign a fresh one with vpn:pki crl on the CA and copy its pki/crl.pem here";
    }

    public void requireUsableAsServer() throws TransportException {
        String why = serverProblem();
        if (why != null) {
            throw failure(why);
        }
    }

    /** True for an EC key (ECDSA suites), false for RSA. */
    public boolean isEc() {
        return key instanceof ECPrivateKey || (key != null && "EC".equals(key.getAlgorithm()));
    }

    /** One line for the log. */
    public String summary() {
        if (problem != null) {
            return problem;
        }
        return "certificate '" + PeerCheck.identity(chain.get(0)) + "' (" + (isEc() ? "EC" : "RSA") + ", valid until "
                + chain.get(0).getNotAfter().toInstant() + "), CA '" + PeerCheck.identity(ca) + "', "
                + (crl == null ? "no CRL" : "CRL with " + revokedCount(crl) + " revoked");
    }

    private static String noCert(String config) {
        return NO_CERT + "issue one with vpn:pki or set cert and key in " + config;
    }

    private static int revokedCount(X509CRL crl) {
        return crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
    }

    private static X509Certificate readCa(Path path, String config, List<String> problems) {
        if (path == null || !Files.exists(path)) {
            problems.add(NO_CA + "run vpn:pki init or set ca in " + config + (path == null ? "" : " (" + path + " does not exist)"));
            return null;
        }
        try {
            List<X509Certificate> certs = readCertificates(path);
            if (certs.isEmpty()) {
                problems.add("the CA file " + path + " holds no certificate: run vpn:pki init or set ca in "
                        + config);
                return null;
            }
            X509Certificate ca = certs.get(0);
            if (ca.getBasicConstraints() < 0) {
                problems.add("the CA file " + path + " holds '" + PeerCheck.identity(ca)
                        + "', which is not a CA certificate: point ca at the CA's certificate");
            }
            if (ca.getNotAfter().before(new Date())) {
                problems.add("the CA certificate " + path + " expired on " + ca.getNotAfter().toInstant()
                        + ": make a new CA with vpn:pki init and issue new certificates");
            }
            return ca;
        } catch (IOException | GeneralSecurityException e) {
            problems.add("cannot read the CA certificate " + path + ": " + e.getMessage()
                    + ": it must be a PEM certificate (BEGIN CERTIFICATE)");
            return null;
        }
    }

    private static X509CRL readCrl(Path path, X509Certificate ca, List<String> problems) {
        if (path == null || !Files.exists(path)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(path)) {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
            crl.verify(ca.getPublicKey());
            return crl;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // Fail closed: a CRL we cannot use might be the one that revokes the next peer.
            problems.add("cannot use the CRL " + path + " (" + e.getMessage() + "): it must be a PEM CRL signed by the CA "
                    + "in " + ca.getSubjectX500Principal().getName() + "; make it again with vpn:pki or delete it");
            return null;
        }
    }

    private static List<X509Certificate> readChain(Path path, String config, X509Certificate ca, List<String> problems) {
        if (path == null || !Files.exists(path)) {
            problems.add(noCert(config) + (path == null ? "" : " (" + path + " does not exist)"));
            return List.of();
        }
        try {
            List<X509Certificate> chain = readCertificates(path);
            if (chain.isEmpty()) {
                problems.add("the certificate file " + path + " holds no certificate: " + noCert(config));
                return List.of();
            }
            X509Certificate own = chain.get(0);
            Date now = new Date();
            if (own.getNotAfter().before(now)) {
                problems.add("this appliance's certificate " + path + " expired on " + own.getNotAfter().toInstant()
                        + ": issue a new one with vpn:pki");
            } else if (own.getNotBefore().after(now)) {
                problems.add("this appliance's certificate " + path + " is valid only from "
                        + own.getNotBefore().toInstant() + ": check the clock");
            }
            if (ca != null) {
                String why = PeerCheck.chainProblem(chain, ca);
                if (why != null) {
                    problems.add("this appliance's certificate " + path + " does not chain to the CA " + ca.getSubjectX500Principal()
                            .getName() + " (" + why + "): peers would refuse it; issue it again with vpn:pki");
                }
            }
            return List.copyOf(chain);
        } catch (IOException | GeneralSecurityException e) {
            problems.add("cannot read the certificate " + path + ": " + e.getMessage()
                    + ": it must be a PEM certificate (BEGIN CERTIFICATE)");
            return List.of();
        }
    }

    private static PrivateKey readKey(Path path, String config, X509Certificate cert, List<String> problems) {
        if (path == null || !Files.exists(path)) {
            problems.add("no private key for the certificate: set key in " + config
                    + (path == null ? "" : " (" + path + " does not exist)"));
            return null;
        }
        try {
            String text = Files.readString(path, StandardCharsets.US_ASCII);
            if (text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
                problems.add("the key " + path + " is encrypted: store it unencrypted (openssl pkcs8 -topk8 -nocrypt)"
                        + " and protect the file with chmod 600");
                return null;
            }
            int begin = text.indexOf(BEGIN_KEY);
            int end = begin < 0 ? -1 : text.indexOf(END_KEY, begin);
            if (end < 0) {
                problems.add("the key " + path + " is not PEM PKCS#8 (BEGIN PRIVATE KEY): convert it with"
                        + " openssl pkcs8 -topk8 -nocrypt -in " + path + " -out " + path + ".pk8");
                return null;
            }
            byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN_KEY.length(), end));
            PrivateKey key = parsePkcs8(der);
            if (key == null) {
                problems.add("the key " + path + " is neither EC nor RSA: make an EC P-256 key with vpn:pki");
                return null;
            }
            if (!belongsTo(key, cert)) {
                problems.add("the key " + path + " does not belong to the certificate '" + PeerCheck.identity(cert)
                        + "': point key and cert at a matching pair");
                return null;
            }
            return key;
        } catch (IOException | IllegalArgumentException e) {
            problems.add("cannot read the key " + path + ": " + e.getMessage());
            return null;
        }
    }

    private static PrivateKey parsePkcs8(byte[] der) {
        for (String algorithm : List.of("EC", "RSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        return null;
    }

    private static boolean belongsTo(PrivateKey key, X509Certificate cert) {
        String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] probe = "minivpn key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public static List<X509Certificate> readCertificates(Path path) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(path)) {
            List<X509Certificate> certs = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certs.add((X509Certificate) c);
            }
            return certs;
        }
    }

    /** Size, modification time and inode of a file, or "-" when it is absent. */
    private static String stamp(Path path) {
        if (path == null) {
            return "-";
        }
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            return a.size() + ":" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":" + a.fileKey();
        } catch (NoSuchFileException e) {
            return "-";
        } catch (IOException e) {
            return "?" + e.getMessage();
        }
    }
}

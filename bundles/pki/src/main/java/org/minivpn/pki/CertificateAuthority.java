package org.minivpn.pki;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.minivpn.pki.IssuedCertificate.Kind;
import org.minivpn.pki.IssuedCertificate.Status;

/**
 * A certificate authority kept in one folder, in plain Java (usable from any module's tests):
 * <pre>
 *   ca.crt  ca.key        the CA: EC P-256, self-signed; the key never leaves this folder
 *   NAME.crt  NAME.key    one pair per server and client; NAME is the certificate's CN
 *   crl.pem               the CA-signed revocation list, rewritten on every revoke
 *   index.txt             serial, name, kind, expiry and revocation of everything issued
 *   revoked/SERIAL.*      the files of revoked certificates, moved aside
 * </pre>
 * Certificates and CRL are PEM, private keys PKCS#8 PEM with mode 0600 from their creation. Every
 * file is written to a temporary file and renamed into place, and none is overwritten unless the
 * caller says {@code force}. Errors are {@link PkiException}s whose message tells the user what to
 * do. Operations on one instance are serialised; one folder should have one instance.
 */
public final class CertificateAuthority {

    public static final String CA_CERTIFICATE = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String CRL = "crl.pem";
    public static final String DEFAULT_CA_NAME = "MiniVPN CA";
    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);
    public static final Duration DEFAULT_CRL_VALIDITY = Duration.ofDays(180);

    /** Certificates start a little in the past, so that a peer whose clock lags accepts them. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final String REVOKED_DIR = "revoked";
    private static final Logger LOG = System.getLogger(CertificateAuthority.class.getName());

    private final Path dir;
    private final Clock clock;
    private final Duration crlValidity;
    private final Certificates x509;
    private final Pem pem;

    /** A CA in {@code dir}, on the system clock, whose CRLs are valid for {@link #DEFAULT_CRL_VALIDITY}. */
    public CertificateAuthority(Path dir) {
        this(dir, Clock.systemUTC(), DEFAULT_CRL_VALIDITY);
    }

    public CertificateAuthority(Path dir, Clock clock, Duration crlValidity) {
        this.dir = dir.toAbsolutePath().normalize();
        this.clock = Objects.requireNonNull(clock);
        this.crlValidity = positive(crlValidity, "the CRL validity");
        // An instance of our own rather than a registered provider: nothing global changes.
        Provider provider = new BouncyCastleProvider();
        this.x509 = new Certificates(provider);
        this.pem = new Pem(provider);
    }

    /** A certificate just issued, and where its files are. */
    public record Issued(IssuedCertificate entry, X509Certificate certificate, Path certificateFile, Path keyFile,
            boolean cutToCaExpiry) {
    }

    public Path directory() {
        return dir;
    }

    public Path caCertificateFile() {
        return dir.resolve(CA_CERTIFICATE);
    }

    public Path crlFile() {
        return dir.resolve(CRL);
    }

    public Path certificateFile(String name) {
        return dir.resolve(name + ".crt");
    }

    public Path keyFile(String name) {
        return dir.resolve(name + ".key");
    }

    Path indexFile() {
        return dir.resolve(CertificateIndex.FILE);
    }

    /**
     * Creates the CA: its key, its self-signed certificate with {@code commonName}, an empty CRL
     * and an empty index. With {@code force}, replaces an existing CA; what that one issued then no
     * longer validates.
     */
    public synchronized X509Certificate init(String commonName, Duration validity, boolean force) throws PkiException {
        String cn = commonName == null || commonName.isBlank() ? DEFAULT_CA_NAME : commonName.strip();
        if (cn.length() > 64) {
            throw new PkiException("the CA name has " + cn.length() + " characters; an X.509 CN takes at most 64");
        }
        positive(validity, "the CA validity");
        if (!force) {
            List<Path> existing = SafeFiles.existing(caCertificateFile(), dir.resolve(CA_KEY), crlFile(), indexFile());
            if (!existing.isEmpty()) {
                throw new PkiException("a CA already exists in " + dir + " (" + SafeFiles.names(existing)
                        + "): give --force to replace it; every certificate it issued then stops validating"
                        + " and must be issued again");
            }
        }
        Instant now = now();
        KeyPair keys = x509.newKeyPair();
        X509Certificate ca = x509.ca(keys, cn, x509.newSerial(), now.minus(BACKDATE), now.plus(validity));
        X509CRL crl = x509.crl(ca, keys.getPrivate(), List.of(), BigInteger.ONE, now, crlNextUpdate(ca, now));
        try (WriteBatch w = new WriteBatch(force)) {
            SafeFiles.ensurePrivateDirectory(dir);
            if (SafeFiles.makePrivate(dir)) {
                LOG.log(Level.INFO, "made " + dir + " mode 0700: it holds the CA key");
            }
            w.write(dir.resolve(CA_KEY), Pem.encode(keys.getPrivate()), true);
            w.write(caCertificateFile(), Pem.encode(ca), false);
            w.write(crlFile(), Pem.encode(crl), false);
            CertificateIndex.write(indexFile(), List.of());
            w.commit();
        } catch (IOException e) {
            throw writeFailed(e);
        }
        LOG.log(Level.INFO, "created the CA '" + cn + "' in " + dir + ", valid until " + ca.getNotAfter().toInstant());
        return ca;
    }

    /**
     * Issues a server certificate: CN {@code name}, extendedKeyUsage serverAuth, and as subject
     * alternative names {@code name} itself when it is a host name or an address, then {@code
     * altNames} (DNS names and IP addresses).
     */
    public Issued issueServer(String name, List<String> altNames, Duration validity, boolean force) throws PkiException {
        return issue(Names.checkName(name), Kind.SERVER, altNames, validity, force);
    }

    /** Issues a client certificate: CN {@code name}, the identity the server sees; extendedKeyUsage clientAuth. */
    public Issued issueClient(String name, Duration validity, boolean force) throws PkiException {
        return issue(Names.checkName(name), Kind.CLIENT, List.of(), validity, force);
    }

    private synchronized Issued issue(String name, Kind kind, List<String> altNames, Duration validity, boolean force)
            throws PkiException {
        positive(validity, "the certificate validity");
        List<GeneralName> sans = kind == Kind.SERVER ? Names.serverAltNames(name, altNames) : List.of();
        Authority ca = authority();
        List<IssuedCertificate> entries = CertificateIndex.read(indexFile());
        Instant now = now();
        if (!force) {
            for (IssuedCertificate c : entries) {
                if (c.name().equals(name) && c.status(now) == Status.VALID) {
                    throw new PkiException("'" + name + "' already has a valid " + c.kind() + " certificate (serial "
                            + c.serialHex() + ", until " + c.notAfter() + "): revoke it first with vpn:pki revoke "
                            + name + ", or give --force to issue another beside it");
                }
            }
            List<Path> existing = SafeFiles.existing(certificateFile(name), keyFile(name));
            if (!existing.isEmpty()) {
                throw new PkiException(SafeFiles.names(existing) + " already exist in " + dir
                        + ": give --force to replace them");
            }
        }
        Set<BigInteger> used = entries.stream().map(IssuedCertificate::serial).collect(Collectors.toSet());
        BigInteger serial;
        do {
            serial = x509.newSerial();
        } while (used.contains(serial));
        Instant wanted = now.plus(validity);
        Instant caEnd = ca.certificate().getNotAfter().toInstant();
        Instant notAfter = wanted.isAfter(caEnd) ? caEnd : wanted;
        KeyPair keys = x509.newKeyPair();
        X509Certificate cert = x509.endEntity(ca.certificate(), ca.key(), keys.getPublic(), name, kind, sans, serial,
                now.minus(BACKDATE), notAfter);
        IssuedCertificate entry = new IssuedCertificate(serial, name, kind, cert.getNotAfter().toInstant(), null);
        List<IssuedCertificate> updated = new ArrayList<>(entries);
        updated.add(entry);
        try (WriteBatch w = new WriteBatch(force)) {
            w.write(keyFile(name), Pem.encode(keys.getPrivate()), true);
            w.write(certificateFile(name), Pem.encode(cert), false);
            CertificateIndex.write(indexFile(), updated);
            w.commit();
        } catch (IOException e) {
            throw writeFailed(e);
        }
        LOG.log(Level.INFO, "issued a " + kind + " certificate for '" + name + "', serial " + entry.serialHex());
        return new Issued(entry, cert, certificateFile(name), keyFile(name), wanted.isAfter(caEnd));
    }

    /**
     * Revokes every certificate issued to {@code name} that is not revoked yet, and rewrites the
     * CRL. Their files move to {@code revoked/}, so that the name can be issued again.
     *
     * @return the certificates revoked now
     */
    public synchronized List<IssuedCertificate> revoke(String name) throws PkiException {
        Names.checkName(name);
        Authority ca = authority();
        List<IssuedCertificate> entries = CertificateIndex.read(indexFile());
        List<IssuedCertificate> named = entries.stream().filter(c -> c.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new PkiException("no certificate was issued to '" + name + "': see vpn:pki list");
        }
        Instant now = now();
        List<IssuedCertificate> revoked = new ArrayList<>();
        List<IssuedCertificate> updated = new ArrayList<>();
        for (IssuedCertificate c : entries) {
            if (c.name().equals(name) && c.revokedAt() == null) {
                c = c.revoked(now);
                revoked.add(c);
            }
            updated.add(c);
        }
        if (revoked.isEmpty()) {
            IssuedCertificate last = named.get(named.size() - 1);
            throw new PkiException("'" + name + "' is already revoked (serial " + last.serialHex() + ", on "
                    + last.revokedAt() + "); nothing to do");
        }
        try {
            // The index first: the CRL is made from it, so a revocation it records is never lost.
            CertificateIndex.write(indexFile(), updated);
        } catch (IOException e) {
            throw writeFailed(e);
        }
        try {
            writeCrl(ca, updated);
        } catch (IOException e) {
            throw new PkiException("the revocation of '" + name + "' is recorded, but the CRL could not be written ("
                    + e.getMessage() + "): free the problem, then run vpn:pki crl", e);
        }
        moveAside(name, revoked);
        LOG.log(Level.INFO, "revoked '" + name + "' (" + revoked.size() + " certificate(s)); the CRL is rewritten");
        return revoked;
    }

    /** Signs the CRL again with a fresh next-update date, e.g. before the old one runs out. */
    public synchronized X509CRL renewCrl() throws PkiException {
        Authority ca = authority();
        try {
            return writeCrl(ca, CertificateIndex.read(indexFile()));
        } catch (IOException e) {
            throw writeFailed(e);
        }
    }

    /** Every certificate issued, in the order they were issued. */
    public List<IssuedCertificate> list() throws PkiException {
        caCertificate(false);
        return CertificateIndex.read(indexFile());
    }

    /** The CA's certificate, whether it is still valid or not. */
    public X509Certificate caCertificate() throws PkiException {
        return caCertificate(false);
    }

    /** When the CRL on disk should be replaced; empty when there is none or it cannot be read. */
    public Optional<Instant> crlNextUpdate() {
        try {
            return Optional.ofNullable(pem.crlHolder(crlFile()).getNextUpdate()).map(d -> d.toInstant());
        } catch (PkiException e) {
            return Optional.empty();
        }
    }

    /** The CRL on disk. */
    public X509CRL crl() throws PkiException {
        return pem.crl(crlFile());
    }

    /**
     * Writes to {@code target} what another machine needs to use the certificate of {@code name}
     * (see {@link ExportedFiles}); {@code server}, when not blank, goes into the client relay's
     * configuration as the server to connect to. Existing files there are replaced only with
     * {@code force}.
     */
    public synchronized ExportedFiles export(String name, Path target, String server, boolean force)
            throws PkiException {
        return new Export(this).write(name, target, server, force);
    }

    /**
     * Writes the client profile of {@code name} to {@code file} (mode 0600): {@code server} and
     * {@code transport} as the client relay's configuration uses them, and the CA certificate,
     * the certificate, its key and the CRL inline (see {@link ClientProfile}). An existing file is
     * replaced only with {@code force}.
     *
     * @return the file written
     */
    public synchronized Path exportProfile(String name, Path file, String server, String transport, boolean force)
            throws PkiException {
        return new Export(this).writeProfile(name, file, server, transport, force);
    }

    Pem pem() {
        return pem;
    }

    boolean matches(X509Certificate certificate, PrivateKey key) {
        return x509.matches(certificate, key);
    }

    Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private X509CRL writeCrl(Authority ca, List<IssuedCertificate> entries) throws IOException {
        Instant now = now();
        List<IssuedCertificate> revoked = entries.stream().filter(c -> c.revokedAt() != null)
                .sorted(Comparator.comparing(IssuedCertificate::revokedAt)).toList();
        X509CRL crl = x509.crl(ca.certificate(), ca.key(), revoked, nextCrlNumber(now), now,
                crlNextUpdate(ca.certificate(), now));
        SafeFiles.write(crlFile(), Pem.encode(crl), false, SafeFiles.Mode.REPLACE);
        return crl;
    }

    /** One more than the CRL on disk; a CRL that cannot be read gives way to the time in seconds. */
    private BigInteger nextCrlNumber(Instant now) {
        try {
            X509CRLHolder old = pem.crlHolder(crlFile());
            Extension number = old.getExtension(Extension.cRLNumber);
            if (number != null) {
                return CRLNumber.getInstance(number.getParsedValue()).getCRLNumber().add(BigInteger.ONE);
            }
        } catch (PkiException | RuntimeException e) {
            LOG.log(Level.WARNING, "the old CRL gives no number (" + e.getMessage() + "); numbering from the clock");
        }
        return BigInteger.valueOf(now.getEpochSecond());
    }

    private Instant crlNextUpdate(X509Certificate ca, Instant now) {
        Instant next = now.plus(crlValidity);
        Instant caEnd = ca.getNotAfter().toInstant();
        return next.isAfter(caEnd) ? caEnd : next;
    }

    private void moveAside(String name, List<IssuedCertificate> revoked) {
        Path crt = certificateFile(name);
        try {
            if (!Files.exists(crt)) {
                return;
            }
            BigInteger serial = pem.certificate(crt).getSerialNumber();
            IssuedCertificate match = revoked.stream().filter(c -> c.serial().equals(serial)).findFirst().orElse(null);
            if (match == null) {
                return;
            }
            Path aside = dir.resolve(REVOKED_DIR);
            SafeFiles.ensurePrivateDirectory(aside);
            if (Files.exists(keyFile(name))) {
                Files.move(keyFile(name), aside.resolve(match.serialHex() + ".key"), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(crt, aside.resolve(match.serialHex() + ".crt"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | PkiException e) {
            LOG.log(Level.WARNING, "the files of revoked '" + name + "' stay in place: " + e.getMessage());
        }
    }

    /** The CA certificate and key, checked to be a pair and valid now: what signing needs. */
    private Authority authority() throws PkiException {
        X509Certificate cert = caCertificate(true);
        Path keyFile = dir.resolve(CA_KEY);
        PrivateKey key;
        try {
            key = pem.privateKey(keyFile);
        } catch (PkiException e) {
            throw new PkiException(e.getMessage() + ": restore " + CA_KEY + " from a backup, or start a new CA with"
                    + " vpn:pki init --force (every certificate must then be issued again)", e);
        }
        if (!x509.matches(cert, key)) {
            throw new PkiException(keyFile + " does not belong to " + caCertificateFile()
                    + ": restore the pair from a backup, or start a new CA with vpn:pki init --force");
        }
        try {
            if (SafeFiles.exposed(keyFile)) {
                LOG.log(Level.WARNING, keyFile + " is readable by others than its owner: chmod 600 it");
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "cannot read the mode of " + keyFile + ": " + e.getMessage());
        }
        return new Authority(cert, key);
    }

    X509Certificate caCertificate(boolean mustBeValid) throws PkiException {
        if (!Files.exists(caCertificateFile())) {
            throw new PkiException("no CA yet: run vpn:pki init (the CA folder is " + dir + ")");
        }
        X509Certificate cert;
        try {
            cert = pem.certificate(caCertificateFile());
        } catch (PkiException e) {
            throw new PkiException(e.getMessage() + ": restore " + CA_CERTIFICATE + " from a backup, or start a new"
                    + " CA with vpn:pki init --force (every certificate must then be issued again)", e);
        }
        Instant now = now();
        if (mustBeValid && !now.isBefore(cert.getNotAfter().toInstant())) {
            throw new PkiException("the CA expired on " + cert.getNotAfter().toInstant() + ": start a new one with"
                    + " vpn:pki init --force, then issue every server and client certificate again");
        }
        if (mustBeValid && now.isBefore(cert.getNotBefore().toInstant())) {
            throw new PkiException("the CA is valid only from " + cert.getNotBefore().toInstant()
                    + ": check this machine's clock");
        }
        return cert;
    }

    private static Duration positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
        return d;
    }

    private PkiException writeFailed(IOException e) {
        if (e instanceof FileAlreadyExistsException) {
            return new PkiException(e.getMessage() + " appeared meanwhile: nothing was changed; look at it, then"
                    + " try again (with --force to replace it)", e);
        }
        return new PkiException("cannot write to " + dir + ": " + e.getMessage() + " (check that the folder exists"
                + " and is writable by this user, and that the disk is not full); nothing was changed", e);
    }

    private record Authority(X509Certificate certificate, PrivateKey key) {
    }
}

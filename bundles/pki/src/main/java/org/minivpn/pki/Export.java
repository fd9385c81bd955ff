package org.minivpn.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.pki.IssuedCertificate.Kind;
import org.minivpn.pki.IssuedCertificate.Status;

/**
 * Writes what another machine needs to use one certificate, laid out as a MiniVPN installation:
 * {@code pki/} with the CA certificate, the CRL, the certificate and its key, and {@code configs/}
 * with the DTLS transport's configuration and, for a client given a server, the client relay's;
 * or, for a client, all of it in one profile file ({@link ClientProfile}). The CA key is never
 * among them.
 */
final class Export {

    static final String TRANSPORT_PID = "org.minivpn.transport.dtls";
    static final String CLIENT_PID = "org.minivpn.relay.client";

    private final CertificateAuthority ca;

    Export(CertificateAuthority ca) {
        this.ca = ca;
    }

    /** What is exported of one certificate, read and checked: the PEM files as they are on disk. */
    private record Material(String name, IssuedCertificate entry, X509Certificate caCert, byte[] caPem, byte[] certPem,
            byte[] keyPem, byte[] crlPem) {
    }

    private Material material(String name) throws PkiException {
        Names.checkName(name);
        X509Certificate caCert = ca.caCertificate(true);
        IssuedCertificate entry = current(name);
        byte[] caPem = read(ca.caCertificateFile());
        byte[] certPem = read(ca.certificateFile(name));
        byte[] keyPem = read(ca.keyFile(name));
        byte[] crlPem = read(ca.crlFile());
        checkKey(name);
        return new Material(name, entry, caCert, caPem, certPem, keyPem, crlPem);
    }

    private static String server(String server) throws PkiException {
        String host = server == null ? "" : server.strip();
        String why = host.isEmpty() ? null : ClientProfile.serverProblem(host);
        if (why != null) {
            throw new PkiException("'" + host + "' is not a server host (" + why + "): give a host name or an address,"
                    + " optionally with :port, e.g. --server vpn.example.com or --server [2001:db8::7]:23232");
        }
        return host;
    }

    ExportedFiles write(String name, Path target, String server, boolean force) throws PkiException {
        String host = server(server);
        Material m = material(name);
        IssuedCertificate entry = m.entry();
        X509Certificate caCert = m.caCert();
        byte[] caPem = m.caPem();
        byte[] certPem = m.certPem();
        byte[] keyPem = m.keyPem();
        byte[] crlPem = m.crlPem();

        Path out = target.toAbsolutePath().normalize();
        Path pki = out.resolve("pki");
        if (pki.equals(ca.directory())) {
            throw new PkiException("export to " + out + " would write into the CA's own folder: choose another folder");
        }
        boolean clientConfig = entry.kind() == Kind.CLIENT && !host.isEmpty();
        ExportedFiles files = new ExportedFiles(out, entry, pki.resolve(CertificateAuthority.CA_CERTIFICATE),
                pki.resolve(name + ".crt"), pki.resolve(name + ".key"), pki.resolve(CertificateAuthority.CRL),
                out.resolve("configs").resolve(TRANSPORT_PID + ".cfg"),
                clientConfig ? out.resolve("configs").resolve(CLIENT_PID + ".cfg") : null);
        List<Path> all = new ArrayList<>(List.of(files.caCertificate(), files.certificate(), files.key(), files.crl(),
                files.transportConfig()));
        if (clientConfig) {
            all.add(files.clientConfig());
        }
        if (!force) {
            List<Path> existing = all.stream().filter(Files::exists).toList();
            if (!existing.isEmpty()) {
                throw new PkiException(existing.stream().map(p -> out.relativize(p).toString()).toList()
                        + " already exist in " + out + ": give --force to replace them, or export to an empty folder");
            }
        }
        SafeFiles.Mode mode = force ? SafeFiles.Mode.REPLACE : SafeFiles.Mode.CREATE;
        try {
            Files.createDirectories(out);
            SafeFiles.ensurePrivateDirectory(pki);
            Files.createDirectories(files.transportConfig().getParent());
            // The key last among the PEM files, the configuration that points at them after them.
            SafeFiles.write(files.caCertificate(), caPem, false, mode);
            SafeFiles.write(files.crl(), crlPem, false, mode);
            SafeFiles.write(files.certificate(), certPem, false, mode);
            SafeFiles.write(files.key(), keyPem, true, mode);
            SafeFiles.write(files.transportConfig(), transportConfig(name, entry, caCert, ca.now()), false, mode);
            if (clientConfig) {
                SafeFiles.write(files.clientConfig(), clientConfig(name, host, ca.now()), false, mode);
            }
        } catch (IOException e) {
            throw new PkiException("cannot write the export to " + out + ": " + e.getMessage()
                    + " (check that the folder is writable and the disk not full; files already written there are"
                    + " whole and can be replaced with --force)", e);
        }
        return files;
    }

    /**
     * Writes the client profile of {@code name} to {@code file}, mode 0600: the client relay's
     * settings and the CA certificate, certificate, key and CRL inline (see {@link ClientProfile}).
     */
    Path writeProfile(String name, Path file, String server, String transport, boolean force) throws PkiException {
        String host = server(server);
        if (host.isEmpty()) {
            throw new PkiException("a profile needs the server its client connects to: add --server HOST, e.g."
                    + " vpn:pki export " + name + " --profile " + name + ClientProfile.SUFFIX + " --server vpn.example.com");
        }
        Material m = material(name);
        if (m.entry().kind() != Kind.CLIENT) {
            throw new PkiException("'" + name + "' has a server certificate: a profile is for a client (vpn:pki client"
                    + " NAME); export a server's files to a folder instead (vpn:pki export " + name + " FOLDER)");
        }
        Path out = file.toAbsolutePath().normalize();
        ClientProfile profile = new ClientProfile(host, "", transport == null ? "" : transport.strip(), ascii(m.caPem()),
                ascii(m.certPem()), ascii(m.keyPem()), ascii(m.crlPem()));
        byte[] text = profile.format(List.of(
                "MiniVPN client profile of '" + name + "', exported by vpn:pki on " + ca.now() + ".",
                "Certificate serial " + m.entry().serialHex() + ", valid until " + m.entry().notAfter() + ", issued by '"
                        + m.caCert().getSubjectX500Principal().getName() + "'.",
                "It holds " + name + "'s private key: keep it secret, and delete it once imported.",
                "On " + name + "'s machine: bin/minivpn --import " + out.getFileName() + " (or vpn:import "
                        + out.getFileName() + " in a running appliance), then vpn:connect."))
                .getBytes(StandardCharsets.US_ASCII);
        ClientProfile.parse(text, out.toString()); // the values (transport) are what an import accepts
        try {
            Files.createDirectories(out.getParent());
            SafeFiles.write(out, text, true, force ? SafeFiles.Mode.REPLACE : SafeFiles.Mode.CREATE);
        } catch (FileAlreadyExistsException e) {
            throw new PkiException(out + " already exists: give --force to replace it, or choose another file name", e);
        } catch (IOException e) {
            throw new PkiException("cannot write the profile " + out + ": " + e.getMessage()
                    + " (check that the folder is writable and the disk not full)", e);
        }
        return out;
    }

    private static String ascii(byte[] pem) {
        return new String(pem, StandardCharsets.US_ASCII);
    }

    /** The certificate in NAME.crt, which must be a valid one the index knows of. */
    private IssuedCertificate current(String name) throws PkiException {
        List<IssuedCertificate> entries = CertificateIndex.read(ca.indexFile());
        List<IssuedCertificate> named = entries.stream().filter(c -> c.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new PkiException("no certificate was issued to '" + name + "': issue one with vpn:pki client "
                    + name + " (or vpn:pki server " + name + ")");
        }
        IssuedCertificate last = named.get(named.size() - 1);
        Path file = ca.certificateFile(name);
        if (!Files.exists(file)) {
            throw new PkiException("'" + name + "' has no current certificate ("
                    + (last.revokedAt() != null ? "revoked on " + last.revokedAt() : file + " is missing")
                    + "): issue a new one with vpn:pki " + last.kind() + " " + name + " --force");
        }
        BigInteger serial;
        try {
            serial = ca.pem().certificate(file).getSerialNumber();
        } catch (PkiException e) {
            throw new PkiException(e.getMessage() + ": issue a new one with vpn:pki " + last.kind() + " " + name
                    + " --force", e);
        }
        IssuedCertificate entry = named.stream().filter(c -> c.serial().equals(serial)).findFirst().orElseThrow(
                () -> new PkiException(file + " was not issued by this CA (serial " + serial.toString(16)
                        + " is not in its index): issue a new one with vpn:pki " + last.kind() + " " + name + " --force"));
        Instant now = ca.now();
        if (entry.status(now) != Status.VALID) {
            throw new PkiException("the certificate of '" + name + "' is " + entry.status(now) + ": issue a new one"
                    + " with vpn:pki " + entry.kind() + " " + name + " --force");
        }
        return entry;
    }

    /** Reads the key and matches it to the certificate, so that a bad one is found here, not on the other machine. */
    private void checkKey(String name) throws PkiException {
        String advice = ": issue a new certificate for '" + name + "' with --force";
        PrivateKey key;
        X509Certificate cert;
        try {
            key = ca.pem().privateKey(ca.keyFile(name));
            cert = ca.pem().certificate(ca.certificateFile(name));
        } catch (PkiException e) {
            throw new PkiException(e.getMessage() + advice, e);
        }
        if (!ca.matches(cert, key)) {
            throw new PkiException(ca.keyFile(name) + " does not belong to " + ca.certificateFile(name) + advice);
        }
    }

    private static byte[] read(Path file) throws PkiException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PkiException(file + " is missing: restore it from a backup (vpn:pki crl writes a new CRL)", e);
        } catch (IOException e) {
            throw new PkiException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] transportConfig(String name, IssuedCertificate entry, X509Certificate caCert, Instant now) {
        String role = entry.kind() == Kind.CLIENT ? "client" : "server";
        return ("# DTLS transport of " + role + " '" + name + "', exported by vpn:pki on " + now + ".\n"
                + "# Certificate serial " + entry.serialHex() + ", valid until " + entry.notAfter() + ", issued by '"
                + caCert.getSubjectX500Principal().getName() + "'.\n"
                + "# Paths are relative to the MiniVPN installation folder.\n"
                + "ca = pki/" + CertificateAuthority.CA_CERTIFICATE + "\n"
                + "cert = pki/" + name + ".crt\n"
                + "key = pki/" + name + ".key\n"
                + "crl = pki/" + CertificateAuthority.CRL + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] clientConfig(String name, String host, Instant now) {
        return ("# VPN client '" + name + "', exported by vpn:pki on " + now + ".\n"
                + "# The server vpn:connect uses when given none.\n"
                + "server = " + host + "\n").getBytes(StandardCharsets.UTF_8);
    }
}

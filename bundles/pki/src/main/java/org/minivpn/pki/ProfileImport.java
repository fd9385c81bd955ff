package org.minivpn.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts a client profile ({@link ClientProfile}) in place in an installation, in the layout the
 * client already reads: {@code pki/ca.crt}, {@code pki/NAME.crt}, {@code pki/NAME.key} (mode 0600)
 * and {@code pki/crl.pem}, the DTLS transport's {@code ca}, {@code cert}, {@code key} and
 * {@code crl} pointed at them, and the client relay's {@code server}, {@code server.name} and
 * {@code transport} set, every other line of those two files kept.
 *
 * <p>Nothing is written until the whole profile has passed {@link ProfileCheck}, and nothing is
 * replaced without {@code force}: a file in {@code pki/} with other content, a certificate or key
 * the transport points at that exists, or another server already configured. Importing the same
 * profile twice changes nothing. Plain Java without Bouncy Castle: {@code bin/minivpn --import}
 * runs it in the launcher, {@code vpn:import} ({@link ImportCommand}) in the appliance.
 */
public final class ProfileImport {

    static final String TRANSPORT_CFG = "configs/" + Export.TRANSPORT_PID + ".cfg";
    static final String CLIENT_CFG = "configs/" + Export.CLIENT_PID + ".cfg";

    /** What the DTLS transport uses when its file does not say (DtlsConfig's defaults). */
    private static final Map<String, String> TRANSPORT_DEFAULTS = Map.of("ca", "pki/ca.crt", "cert",
            "pki/server.crt", "key", "pki/server.key", "crl", "pki/crl.pem");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private final Path home;

    /** An import into the installation at {@code home}. */
    public ProfileImport(Path home) {
        this.home = home.toAbsolutePath().normalize();
    }

    /**
     * One file the import writes: its path under the installation, its new content, what it is (for
     * the list of what was written, and as the noun of a refusal).
     */
    private record Planned(String path, byte[] content, boolean secret, String what, String noun) {
    }

    /**
     * Imports the profile in {@code file}.
     *
     * @return what was written where, and what to do next, for the user to read
     * @throws PkiException when the file is unreadable, damaged or incomplete, or would replace
     *     something without {@code force}; the message says what to do, and nothing was written
     */
    public String importFile(Path file, boolean force) throws PkiException {
        Path f = file.toAbsolutePath().normalize();
        ClientProfile profile = ClientProfile.parse(read(f), f.toString());
        ProfileCheck.Checked checked = ProfileCheck.check(profile, f.toString(), new Date());
        String name = checked.name();

        List<Planned> pki = new ArrayList<>(List.of(
                new Planned("pki/" + CertificateAuthority.CA_CERTIFICATE, ascii(profile.ca()), false,
                        "the CA certificate", "CA certificate"),
                new Planned("pki/" + name + ".crt", ascii(profile.certificate()), false, name + "'s certificate",
                        "certificate"),
                new Planned("pki/" + name + ".key", ascii(profile.key()), true, name + "'s private key, mode 0600",
                        "private key")));
        if (!profile.crl().isEmpty()) {
            pki.add(new Planned("pki/" + CertificateAuthority.CRL, ascii(profile.crl()), false,
                    "the CA's revocation list", "revocation list"));
        }
        Map<String, String> transport = new LinkedHashMap<>();
        transport.put("ca", "pki/" + CertificateAuthority.CA_CERTIFICATE);
        transport.put("cert", "pki/" + name + ".crt");
        transport.put("key", "pki/" + name + ".key");
        if (!profile.crl().isEmpty()) {
            transport.put("crl", "pki/" + CertificateAuthority.CRL);
        }
        Map<String, String> client = new LinkedHashMap<>();
        client.put(ClientProfile.SERVER, profile.server());
        client.put(ClientProfile.SERVER_NAME, profile.serverName());
        client.put(ClientProfile.TRANSPORT, profile.transport());

        String transportText = text(TRANSPORT_CFG);
        String clientText = text(CLIENT_CFG);
        if (!force) {
            List<String> conflicts = new ArrayList<>();
            for (Planned p : pki) {
                byte[] now = bytes(p.path());
                if (now != null && !Arrays.equals(now, p.content())) {
                    conflicts.add(p.path() + " holds another " + p.noun());
                }
            }
            transportConflicts(transportText, transport, conflicts);
            Map<String, String> current = CfgText.values(clientText == null ? "" : clientText);
            for (Map.Entry<String, String> e : client.entrySet()) {
                String was = current.getOrDefault(e.getKey(), "");
                if (!was.isEmpty() && !was.equals(e.getValue())) {
                    conflicts.add(CLIENT_CFG + " sets " + e.getKey() + " = " + was);
                }
            }
            if (!conflicts.isEmpty()) {
                throw new PkiException("importing " + f + " would replace what this installation (" + home
                        + ") has: " + String.join("; ", conflicts) + ". Give --force to replace it (vpn:import --force"
                        + " FILE, or bin/minivpn --import FILE --force)");
            }
        }

        StringBuilder out = new StringBuilder("imported the profile of '" + name + "' (certificate valid until "
                + DAY.format(checked.certificate().getNotAfter().toInstant()) + ", CA '" + ProfileCheck.cn(checked.ca())
                + "') into " + home + ":\n");
        try (WriteBatch batch = new WriteBatch(force)) {
            SafeFiles.ensurePrivateDirectory(home.resolve("pki"));
            // The key before the certificate, the configuration that points at both after them.
            List<Planned> order = new ArrayList<>(pki);
            order.sort((a, b) -> Boolean.compare(!a.secret(), !b.secret()));
            List<Planned> unchanged = new ArrayList<>();
            for (Planned p : order) {
                if (Arrays.equals(bytes(p.path()), p.content())) {
                    unchanged.add(p);
                } else {
                    batch.write(home.resolve(p.path()), p.content(), p.secret());
                }
            }
            for (Planned p : pki) {
                line(out, p.path(), p.what(), unchanged.contains(p));
            }
            Files.createDirectories(home.resolve("configs"));
            boolean t = writeCfg(TRANSPORT_CFG, transportText, transport,
                    "# DTLS transport of client '" + name + "', set by vpn:import. Paths are relative to the installation.\n");
            boolean c = writeCfg(CLIENT_CFG, clientText, client,
                    "# The VPN client, set by vpn:import. Defaults: README and the shipped file.\n");
            line(out, TRANSPORT_CFG, String.join(", ", transport.keySet()) + " point at the files above", !t);
            line(out, CLIENT_CFG, "server = " + profile.server()
                    + (profile.transport().isEmpty() ? "" : ", transport = " + profile.transport())
                    + (profile.serverName().isEmpty() ? "" : ", server.name = " + profile.serverName()), !c);
            batch.commit();
        } catch (IOException e) {
            throw new PkiException("cannot write into " + home + ": " + e.getMessage() + " (check that it is writable"
                    + " by this user and the disk not full; files it created are removed, so the import can run again)",
                    e);
        }
        return out.append(f.getFileName()).append(" holds ").append(name).append("'s private key: delete it now that it")
                .append(" is in place.\nconnect with: vpn:connect (bin/minivpn-ctl vpn:connect while the appliance runs)")
                .toString();
    }

    /**
     * A transport setting the profile changes conflicts when the file it names now exists: that
     * certificate or key is this installation's identity (a fresh one points at pki/server.crt,
     * which is not there).
     */
    private void transportConflicts(String text, Map<String, String> wanted, List<String> conflicts) {
        Map<String, String> current = CfgText.values(text == null ? "" : text);
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            String was = current.getOrDefault(e.getKey(), TRANSPORT_DEFAULTS.get(e.getKey()));
            if (!was.isEmpty() && !was.equals(e.getValue()) && Files.exists(home.resolve(was))) {
                conflicts.add(TRANSPORT_CFG + " uses " + e.getKey() + " = " + was);
            }
        }
    }

    /** Writes the cfg file with {@code values} set, if that changes it; returns whether it did. */
    private boolean writeCfg(String path, String text, Map<String, String> values, String header) throws IOException {
        String updated = CfgText.set(text == null ? header : text, values);
        if (updated.equals(text)) {
            return false;
        }
        SafeFiles.write(home.resolve(path), ascii(updated), false, SafeFiles.Mode.REPLACE);
        return true;
    }

    private static void line(StringBuilder out, String path, String what, boolean unchanged) {
        out.append(String.format("  %-42s %s%s%n", path, what, unchanged ? " (unchanged)" : ""));
    }

    private static byte[] read(Path file) throws PkiException {
        try {
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString());
            }
            if (!Files.isRegularFile(file)) {
                throw new PkiException(file + " is not a file: give the profile that vpn:pki export NAME --profile FILE"
                        + " wrote");
            }
            if (Files.size(file) > ClientProfile.MAX_BYTES) {
                throw new PkiException(file + " is " + Files.size(file) + " bytes, far more than a profile: give the"
                        + " .minivpn file that vpn:pki export NAME --profile FILE wrote");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PkiException("there is no profile " + file + ": copy it here from the server, where vpn:pki"
                    + " export NAME --profile FILE --server HOST writes it", e);
        } catch (IOException e) {
            throw new PkiException("cannot read the profile " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's text, or null when there is none. */
    private String text(String path) throws PkiException {
        byte[] b = bytes(path);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private byte[] bytes(String path) throws PkiException {
        Path p = home.resolve(path);
        try {
            return Files.exists(p) ? Files.readAllBytes(p) : null;
        } catch (IOException e) {
            throw new PkiException("cannot read " + p + ": " + e.getMessage() + " (run the import as the user the"
                    + " appliance runs as)", e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

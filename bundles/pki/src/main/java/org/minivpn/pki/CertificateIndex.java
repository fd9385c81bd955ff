package org.minivpn.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CA's memory of what it issued: {@code index.txt} in the PKI folder, one certificate a line,
 * tab-separated: serial (hex), name, kind, not-after and revoked-at (ISO-8601, "-" when not
 * revoked). Lines starting with '#' are comments. It is rewritten whole, never appended to.
 */
final class CertificateIndex {

    static final String FILE = "index.txt";

    private static final String HEADER =
            "# MiniVPN CA index, written by vpn:pki: serial, name, kind, not-after, revoked-at\n";

    private CertificateIndex() {
    }

    /** The entries of {@code file} in the order they were issued; none when it does not exist. */
    static List<IssuedCertificate> read(Path file) throws PkiException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new PkiException("cannot read the CA index " + file + ": " + e.getMessage(), e);
        }
        List<IssuedCertificate> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            try {
                if (f.length != 5) {
                    throw new IllegalArgumentException("expected 5 tab-separated fields, found " + f.length);
                }
                entries.add(new IssuedCertificate(new BigInteger(f[0], 16), f[1],
                        IssuedCertificate.Kind.valueOf(f[2].toUpperCase(Locale.ROOT)), Instant.parse(f[3]),
                        f[4].equals("-") ? null : Instant.parse(f[4])));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw new PkiException("the CA index " + file + " is damaged at line " + (i + 1) + " (" + e.getMessage()
                        + "): restore it from a backup or repair that line", e);
            }
        }
        return entries;
    }

    static void write(Path file, List<IssuedCertificate> entries) throws IOException {
        StringBuilder out = new StringBuilder(HEADER);
        for (IssuedCertificate c : entries) {
            out.append(c.serialHex()).append('\t').append(c.name()).append('\t').append(c.kind()).append('\t')
                    .append(c.notAfter()).append('\t').append(c.revokedAt() == null ? "-" : c.revokedAt()).append('\n');
        }
        SafeFiles.write(file, out.toString().getBytes(StandardCharsets.UTF_8), false, SafeFiles.Mode.REPLACE);
    }
}

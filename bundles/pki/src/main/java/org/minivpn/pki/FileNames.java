package org.minivpn.pki;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rule for a certificate's name, which is also the name of its files ({@code NAME.crt},
 * {@code NAME.key}): letters, digits, dots, dashes and underscores, so that no name reaches
 * outside its folder or takes the CA's own files. Plain Java without Bouncy Castle, as the
 * profile import also runs in the launcher, outside the framework.
 */
final class FileNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?");
    private static final Set<String> RESERVED = Set.of("ca", "crl", "index", "revoked");

    private FileNames() {
    }

    /** Checks a server's or client's name, which becomes its CN and its file names; returns it. */
    static String checkName(String name) throws PkiException {
        if (name == null || name.isBlank()) {
            throw new PkiException("a name is missing: give the server's or client's name, e.g. vpn:pki client alice");
        }
        if (!NAME.matcher(name).matches()) {
            throw new PkiException("'" + name + "' is not a usable name: use up to 64 letters, digits, dots, dashes"
                    + " and underscores, starting and ending with a letter or digit (e.g. alice, vpn.example.com)");
        }
        if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new PkiException("'" + name + "' is reserved for the CA's own files: choose another name");
        }
        return name;
    }
}

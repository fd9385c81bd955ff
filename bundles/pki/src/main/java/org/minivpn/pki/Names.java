package org.minivpn.pki;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.util.IPAddress;

/**
 * What a certificate's name and its subject alternative names may be. A name is also a file name
 * in the PKI folder ({@link FileNames}).
 */
final class Names {

    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private Names() {
    }

    /** Checks a server's or client's name, which becomes its CN and its file names. */
    static String checkName(String name) throws PkiException {
        return FileNames.checkName(name);
    }

    /**
     * The subject alternative names of a server certificate: its own name when that is a host name
     * or an address, then each of {@code extra}, without repeats.
     */
    static List<GeneralName> serverAltNames(String name, List<String> extra) throws PkiException {
        Set<String> seen = new LinkedHashSet<>();
        List<GeneralName> out = new ArrayList<>();
        if (isAddress(name) || isHostName(name)) {
            add(out, seen, name);
        }
        for (String e : extra) {
            String s = e.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (!isAddress(s) && !isHostName(s)) {
                throw new PkiException("'" + s + "' is neither an IP address nor a DNS name: give --san as a comma"
                        + " separated list such as vpn.example.com,203.0.113.7,2001:db8::7");
            }
            add(out, seen, s);
        }
        return out;
    }

    private static void add(List<GeneralName> out, Set<String> seen, String s) {
        if (seen.add(s.toLowerCase(Locale.ROOT))) {
            out.add(isAddress(s) ? new GeneralName(GeneralName.iPAddress, s) : new GeneralName(GeneralName.dNSName, s));
        }
    }

    static boolean isAddress(String s) {
        return IPAddress.isValidIPv4(s) || IPAddress.isValidIPv6(s);
    }

    /** A DNS name (RFC 1123 labels, 253 characters at most), its first label possibly "*". */
    static boolean isHostName(String s) {
        if (s.length() > 253 || s.endsWith(".")) {
            return false;
        }
        String[] labels = s.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            if (!(LABEL.matcher(labels[i]).matches() || (i == 0 && labels.length > 2 && labels[i].equals("*")))) {
                return false;
            }
        }
        return !labels[labels.length - 1].chars().allMatch(Character::isDigit); // 10.1 is no host name
    }
}

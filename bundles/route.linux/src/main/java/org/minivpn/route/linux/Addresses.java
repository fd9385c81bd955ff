package org.minivpn.route.linux;

import java.net.Inet4Address;
import java.net.InetAddress;
import org.minivpn.api.IpPrefix;

/** Addresses as {@code ip} prints them: IPv6 in its short form (RFC 5952), e.g. {@code 8000::/1}. */
final class Addresses {

    private Addresses() {
    }

    static String text(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }

    /** The prefix's network address and length, e.g. {@code 10.8.0.0/24} or {@code fd00::/64}. */
    static String text(IpPrefix p) {
        return text(p.network().address()) + "/" + p.prefixLength();
    }
}

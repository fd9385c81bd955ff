package org.minivpn.api;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address with a prefix length, such as {@code 10.7.0.1/24} or {@code fd00::1/64}.
 * Used both for an interface address (the host bits matter) and for a route (see {@link #network()}).
 *
 * @param address the address, never null
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record IpPrefix(InetAddress address, int prefixLength) {

    public IpPrefix {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > bits(address)) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range for "
                    + address.getHostAddress() + ": use 0.." + bits(address));
        }
    }

    /**
     * Parses {@code address/prefix}, or a bare address as a host prefix (/32 or /128). Only numeric
     * addresses are accepted: a host name is never resolved here.
     *
     * @throws IllegalArgumentException with a message that names the bad part
     */
    public static IpPrefix parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        InetAddress address = parseAddress(host);
        int prefix = bits(address);
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has no valid prefix length after '/'", e);
            }
        }
        return new IpPrefix(address, prefix);
    }

    /**
     * Parses configuration entries, each holding one or more prefixes separated by commas or white
     * space (a list in a .cfg file may arrive as one string), in order. Null means none.
     *
     * @throws IllegalArgumentException naming the first bad prefix
     */
    public static List<IpPrefix> parseAll(String... entries) {
        List<IpPrefix> list = new ArrayList<>();
        for (String entry : entries == null ? new String[0] : entries) {
            for (String text : entry.split("[,\\s]+")) {
                if (!text.isBlank()) {
                    list.add(parse(text));
                }
            }
        }
        return list;
    }

    /**
     * Parses a numeric IPv4 or IPv6 address without any name lookup.
     *
     * @throws IllegalArgumentException when the text is not a numeric address
     */
    public static InetAddress parseAddress(String text) {
        String s = text.strip();
        boolean looksNumeric = !s.isEmpty()
                && (s.indexOf(':') >= 0 || s.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')));
        if (!looksNumeric) {
            throw new IllegalArgumentException("'" + text + "' is not a numeric IPv4 or IPv6 address");
        }
        if (s.indexOf(':') < 0 && s.split("\\.", -1).length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not a dotted IPv4 address (a.b.c.d)");
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not a numeric IPv4 or IPv6 address", e);
        }
    }

    /** True for an IPv4 prefix. */
    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** The same prefix with the host bits cleared, e.g. 10.7.0.0/24 for 10.7.0.1/24. */
    public IpPrefix network() {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefixLength - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(b), prefixLength);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** True when {@code other} lies inside this prefix (same family, same leading bits). */
    public boolean contains(InetAddress other) {
        byte[] a = address.getAddress();
        byte[] b = other.getAddress();
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, prefixLength - i * 8));
            int mask = (0xff << (8 - keep)) & 0xff;
            if ((a[i] & mask) != (b[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }

    private static int bits(InetAddress a) {
        return a instanceof Inet4Address ? 32 : 128;
    }
}

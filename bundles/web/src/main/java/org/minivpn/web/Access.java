package org.minivpn.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Who may read the page, decided per request from its facts alone. The rules, in order:
 *
 * <ol>
 * <li>The Host header must name an IP address, {@code localhost} or one of {@code allowed.hosts}. A page
 * on loopback is still reachable from a browser on the same host, and a web site that rebinds its own
 * DNS name to 127.0.0.1 would otherwise read it (DNS rebinding; the defence Prometheus' node_exporter
 * lacks and Jupyter added).</li>
 * <li>A request whose Origin is another site is refused (a cross-site POST is what CSRF is).</li>
 * <li>Without a password only loopback peers are answered, whatever Jetty is bound to.</li>
 * <li>With a password every request must carry it: HTTP basic authentication (RFC 7617, any user name)
 * or a bearer token (RFC 6750), compared in constant time.</li>
 * </ol>
 *
 * <p>{@link #of} refuses a configuration that would expose the page: a bind address other hosts reach
 * (anything but loopback) without a password of at least {@link #MIN_PASSWORD} characters.
 */
final class Access {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

    /** The shortest password accepted for a page other hosts reach. */
    static final int MIN_PASSWORD = 12;

    /** Why a request was refused: the HTTP status and a reason a person can act on. */
    record Refusal(int status, String reason) {
    }

    private final InetAddress bind;
    private final byte[] password; // empty: none
    private final Set<String> allowedHosts;

    private Access(InetAddress bind, String password, Set<String> allowedHosts) {
        this.bind = bind;
        this.password = password.getBytes(StandardCharsets.UTF_8);
        this.allowedHosts = allowedHosts;
    }

    /**
     * The access rules of a configuration.
     *
     * @throws IllegalArgumentException with the reason and what to do, for a bind address that is not
     *     an IP address, a port out of range, or a bind address other hosts reach without a password
     */
    static Access of(WebConfig c) {
        String where = "configs/org.minivpn.web.cfg";
        InetAddress bind = literal(c.bind().strip());
        if (bind == null) {
            throw new IllegalArgumentException(where + ": bind = '" + c.bind() + "' is not an IP address: use e.g."
                    + " 127.0.0.1 (this host only), or the address of one interface");
        }
        if (c.port() < 0 || c.port() > 65535) {
            throw new IllegalArgumentException(where + ": port " + c.port() + " is out of range: use 1..65535, or 0 for any free one");
        }
        String password = c.password() == null ? "" : c.password();
        if (!bind.isLoopbackAddress() && password.length() < MIN_PASSWORD) {
            throw new IllegalArgumentException("the status page is not served: bind = " + bind.getHostAddress()
                    + " lets other hosts reach it, and " + (password.isEmpty() ? "no password is set"
                    : "the password is shorter than " + MIN_PASSWORD + " characters") + ". Set password (at least "
                    + MIN_PASSWORD + " characters) in " + where + ", or keep bind = 127.0.0.1 and open the page over"
                    + " ssh -L " + (c.port() == 0 ? 8023 : c.port()) + ":127.0.0.1:" + (c.port() == 0 ? 8023 : c.port()));
        }
        Set<String> hosts = Stream.of(c.allowed_hosts()).map(h -> h.strip().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new Access(bind, password, hosts);
    }

    /** True when other hosts may reach the page. */
    boolean exposed() {
        return !bind.isLoopbackAddress();
    }

    InetAddress bind() {
        return bind;
    }

    /**
     * Checks one request.
     *
     * @param remoteAddress the peer's IP address as the container reports it
     * @param host the Host header, or null
     * @param origin the Origin header, or null
     * @param authorization the Authorization header, or null
     * @return null when the request may go on, else why not
     */
    Refusal check(String remoteAddress, String host, String origin, String authorization) {
        String hostName = hostName(host);
        if (hostName == null || !(hostName.equals("localhost") || literal(hostName) != null
                || allowedHosts.contains(hostName))) {
            return new Refusal(403, "refused: the Host header '" + host + "' is not this page's address (name it by IP"
                    + " address or localhost, or add the name to allowed.hosts in configs/org.minivpn.web.cfg)");
        }
        if (origin != null && !origin.equals("null") && !sameHost(origin, host)) {
            return new Refusal(403, "refused: a request from another site (" + origin + ")");
        }
        if (password.length == 0) {
            InetAddress peer = literal(remoteAddress);
            if (peer == null || !peer.isLoopbackAddress()) {
                return new Refusal(403, "refused: the status page answers only this host (loopback) unless a password"
                        + " is set in configs/org.minivpn.web.cfg");
            }
            return null;
        }
        if (!carriesPassword(authorization)) {
            return new Refusal(401, "the status page needs its password (HTTP basic authentication, any user name)");
        }
        return null;
    }

    private boolean carriesPassword(String authorization) {
        if (authorization == null) {
            return false;
        }
        byte[] given;
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        } else if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(authorization.substring(6).strip());
            } catch (IllegalArgumentException e) {
                return false;
            }
            String userAndPassword = new String(decoded, StandardCharsets.UTF_8);
            int colon = userAndPassword.indexOf(':');
            if (colon < 0) {
                return false;
            }
            given = userAndPassword.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        } else {
            return false;
        }
        return MessageDigest.isEqual(password, given);
    }

    /** The host part of a Host header, lower case, without port or IPv6 brackets; null when malformed. */
    static String hostName(String host) {
        if (host == null || host.isBlank()) {
            return null;
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close < 0 ? null : h.substring(1, close);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** True when an Origin ("http://host:port") names the same host and port as the Host header. */
    private static boolean sameHost(String origin, String host) {
        int scheme = origin.indexOf("://");
        String authority = scheme < 0 ? origin : origin.substring(scheme + 3);
        return authority.equalsIgnoreCase(host.strip());
    }

    /** An IP literal as an address, without any name lookup; null when it is not one. */
    static InetAddress literal(String s) {
        if (s == null || !(IPV4.matcher(s).matches() || (s.indexOf(':') >= 0 && IPV6_CHARS.matcher(s).matches()))) {
            return null; // InetAddress.getByName would look a name up in DNS
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}

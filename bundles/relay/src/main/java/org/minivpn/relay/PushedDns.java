package org.minivpn.relay;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.minivpn.api.IpPrefix;

/**
 * The resolvers and search domains a server pushes in its CONFIG record, one {@code dns=ADDRESS}
 * line per resolver and one {@code dns.search=DOMAIN} line per domain, as OpenVPN pushes
 * {@code dhcp-option DNS} and {@code dhcp-option DOMAIN}. A client that predates them ignores the
 * keys, as it ignores every key it does not know ({@link PushedConfig#parse}); the original C
 * MiniVPN's peers never see a CONFIG.
 *
 * <p>The client reads them strictly and forgivingly at once: an address must be numeric (no name
 * is ever looked up, the resolver being what is being set up) and a domain a plain DNS name, and
 * anything else, or more than {@link #MAX_SERVERS} resolvers or {@link #MAX_SEARCH} domains, is
 * left out with a warning rather than refusing the tunnel. What a server pushes can only reach
 * {@code /etc/resolv.conf} or {@code resolvectl} as these checked values.
 *
 * @param servers the resolvers, in the server's order
 * @param search the search domains, lower case
 */
record PushedDns(List<InetAddress> servers, List<String> search) {

    /** Nothing pushed: name resolution is left alone. */
    static final PushedDns NONE = new PushedDns(List.of(), List.of());

    static final String SERVER_KEY = "dns";
    static final String SEARCH_KEY = "dns.search";

    /** More than glibc reads (3) and than any sane push; resolvectl takes them all. */
    static final int MAX_SERVERS = 8;
    /** glibc's old limit of search domains, which resolv.conf readers still assume. */
    static final int MAX_SEARCH = 6;
    /** The share of the CONFIG record, which travels in one datagram with the rest of the configuration. */
    static final int MAX_BYTES = 900;

    private static final Logger LOG = System.getLogger(PushedDns.class.getName());
    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    PushedDns {
        servers = List.copyOf(servers);
        search = List.copyOf(search);
    }

    boolean isEmpty() {
        return servers.isEmpty();
    }

    /**
     * The server's {@code dns} and {@code dns.search} settings, each entry a list separated by
     * commas or spaces.
     *
     * @throws IllegalArgumentException naming what is not an address or a domain
     */
    static PushedDns configured(String[] servers, String[] search) {
        List<InetAddress> addresses = new ArrayList<>();
        for (String s : split(servers)) {
            try {
                addresses.add(IpPrefix.parseAddress(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dns: " + e.getMessage() + ": give resolver addresses, e.g."
                        + " dns = 10.7.0.1 (a resolver the clients reach through the tunnel)");
            }
        }
        List<String> domains = new ArrayList<>();
        for (String d : split(search)) {
            if (!DOMAIN.matcher(d).matches()) {
                throw new IllegalArgumentException("dns.search: '" + d + "' is not a DNS domain, e.g. dns.search ="
                        + " corp.example.com");
            }
            domains.add(d.toLowerCase(Locale.ROOT));
        }
        if (addresses.size() > MAX_SERVERS || domains.size() > MAX_SEARCH) {
            throw new IllegalArgumentException("dns takes at most " + MAX_SERVERS + " resolvers and dns.search at most "
                    + MAX_SEARCH + " domains");
        }
        if (addresses.isEmpty() && !domains.isEmpty()) {
            throw new IllegalArgumentException("dns.search needs resolvers: set dns too, e.g. dns = 10.7.0.1");
        }
        PushedDns dns = new PushedDns(addresses, domains);
        List<Map.Entry<String, String>> lines = new ArrayList<>();
        dns.addTo(lines);
        int bytes = lines.stream().mapToInt(e -> e.getKey().length() + e.getValue().length() + 2).sum();
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("dns and dns.search take " + bytes + " bytes of the configuration sent"
                    + " to each client, more than " + MAX_BYTES + " (it must fit one datagram): push fewer or shorter");
        }
        return dns;
    }

    /** Adds the CONFIG lines that push these resolvers and domains (none when empty). */
    void addTo(List<Map.Entry<String, String>> lines) {
        for (InetAddress a : servers) {
            lines.add(new SimpleEntry<>(SERVER_KEY, a.getHostAddress()));
        }
        for (String d : search) {
            lines.add(new SimpleEntry<>(SEARCH_KEY, d));
        }
    }

    /** What a CONFIG record's lines push; entries this client cannot use are left out with a warning. */
    static PushedDns parse(Map<String, List<String>> lines) {
        List<InetAddress> addresses = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String s : lines.getOrDefault(SERVER_KEY, List.of())) {
            try {
                InetAddress a = IpPrefix.parseAddress(s);
                if (addresses.size() < MAX_SERVERS && !addresses.contains(a)) {
                    addresses.add(a);
                } else {
                    skipped.add(s);
                }
            } catch (IllegalArgumentException e) {
                skipped.add(s);
            }
        }
        List<String> domains = new ArrayList<>();
        for (String d : lines.getOrDefault(SEARCH_KEY, List.of())) {
            if (DOMAIN.matcher(d).matches() && domains.size() < MAX_SEARCH && !addresses.isEmpty()) {
                domains.add(d.toLowerCase(Locale.ROOT));
            } else {
                skipped.add(d);
            }
        }
        if (!skipped.isEmpty()) {
            LOG.log(Level.WARNING, "the server pushed DNS settings this client does not use: " + shown(skipped)
                    + " (resolvers must be numeric addresses, at most " + MAX_SERVERS + "; search domains DNS names,"
                    + " at most " + MAX_SEARCH + ")");
        }
        return new PushedDns(addresses, domains);
    }

    /**
     * What the client applies: these, or nothing with {@code dns = off} in its configuration, which
     * leaves name resolution alone (logged, so that a user wondering why knows).
     */
    PushedDns forClient(boolean apply) {
        if (!apply && !isEmpty()) {
            LOG.log(Level.INFO, "the server pushes the resolvers " + servers + "; dns = off leaves this machine's name"
                    + " resolution as it is");
            return NONE;
        }
        return this;
    }

    private static List<String> split(String[] entries) {
        List<String> out = new ArrayList<>();
        for (String e : entries == null ? new String[0] : entries) {
            for (String s : e.split("[,\\s]+")) {
                if (!s.isBlank()) {
                    out.add(s.strip());
                }
            }
        }
        return out;
    }

    /** The skipped values for a log line: printable ASCII only, each cut short. */
    private static String shown(List<String> values) {
        return values.stream().map(v -> {
            String p = v.replaceAll("[^\\x20-\\x7e]", "?");
            return "'" + (p.length() > 60 ? p.substring(0, 60) + "..." : p) + "'";
        }).toList().toString();
    }
}

package org.minivpn.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.minivpn.api.IpPrefix;

/**
 * What a server pushes to a client after its hello, or what the client uses when none comes.
 * Keys it does not know are ignored, so that a newer server may push more to an older client.
 */
record PushedConfig(List<IpPrefix> addresses, int mtu, List<IpPrefix> routes, Duration keepalive, Duration timeout,
        PushedDns dns) {

    PushedConfig {
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    boolean hasIpv6() {
        return addresses.stream().anyMatch(a -> !a.isIpv4());
    }

    /**
     * Reads a CONFIG record's lines; what is missing comes from {@code fallback}.
     *
     * @throws IllegalArgumentException when a line is malformed
     */
    static PushedConfig parse(Map<String, List<String>> lines, ClientSettings fallback) {
        List<IpPrefix> addresses = new ArrayList<>();
        for (String key : List.of("address", "address6")) {
            for (String a : lines.getOrDefault(key, List.of())) {
                addresses.add(IpPrefix.parse(a));
            }
        }
        if (addresses.isEmpty()) {
            addresses.addAll(fallback.staticAddresses());
        }
        List<IpPrefix> routes = new ArrayList<>();
        for (String r : lines.getOrDefault("route", List.of())) {
            routes.add(IpPrefix.parse(r).network());
        }
        int mtu = Integer.parseInt(first(lines, "mtu", Integer.toString(fallback.mtu())));
        Duration keepalive = Duration.ofMillis(Long.parseLong(first(lines, "keepalive", Long.toString(fallback.keepalive().toMillis()))));
        Duration timeout = Duration.ofMillis(Long.parseLong(first(lines, "timeout", Long.toString(fallback.timeout().toMillis()))));
        return new PushedConfig(addresses, mtu, routes, keepalive, timeout, PushedDns.parse(lines));
    }

    /** The client's own configuration, for a server that pushes nothing. */
    static PushedConfig local(ClientSettings s) {
        return new PushedConfig(s.staticAddresses(), s.mtu(), List.of(), s.keepalive(), s.timeout(), PushedDns.NONE);
    }

    private static String first(Map<String, List<String>> lines, String key, String fallback) {
        List<String> v = lines.get(key);
        return v == null || v.isEmpty() ? fallback : v.get(0);
    }
}

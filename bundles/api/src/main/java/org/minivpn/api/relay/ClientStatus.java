package org.minivpn.api.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.minivpn.api.IpPrefix;

/**
 * A snapshot of a {@link VpnClient}.
 *
 * @param state where the client is
 * @param server the server's endpoint as host:port, or "" when disconnected
 * @param tunnelAddresses the client's addresses inside the tunnel
 * @param transport the transport type in use, or ""
 * @param cipherSuite the negotiated cipher suite, or ""
 * @param traffic counters of the current connection
 * @param rtt the last measured round-trip time to the server, or null when none was measured
 * @param since when the client entered its state
 * @param reconnects how many times the session was re-made since {@code connect}
 * @param connectedAt when the current connection was first made, or null when disconnected
 * @param routes what the routing configurator changed for this connection, one line each
 * @param ipv6Blocked true when the tunnel has no IPv6 address: the client drops every IPv6 packet
 *     read from the TUN (answering with ICMPv6 "administratively prohibited") instead of sending it
 * @param ipv6Dropped IPv6 packets dropped so, since {@code connect}; also counted in {@code traffic}
 * @param relayFailures unexpected failures of the relay's own thread since {@code connect}; each was
 *     logged (the first with its stack trace) and relaying went on
 * @param plain true when the client speaks plainly to its server: IP packets only, no hello,
 *     configuration, keepalives or goodbye (configured, or because the server answered the hello with
 *     nothing, as the original C MiniVPN's server does); there is then no round-trip time
 * @param cryptoBackend the crypto backend that computes the current session's cipher (e.g. "jca"),
 *     or "" when there is no session or its transport has none (see
 *     {@link org.minivpn.api.transport.Session#cryptoBackend()})
 * @param keyedAt when the session in use was made, so when its keys were (their age), or null when
 *     there is none; a client moves to a new session to replace them (rekey)
 */
public record ClientStatus(ClientState state, String server, List<IpPrefix> tunnelAddresses, String transport,
        String cipherSuite, Traffic traffic, Duration rtt, Instant since, int reconnects, Instant connectedAt,
        List<String> routes, boolean ipv6Blocked, long ipv6Dropped, long relayFailures, boolean plain,
        String cryptoBackend, Instant keyedAt) {

    public ClientStatus {
        tunnelAddresses = List.copyOf(tunnelAddresses);
        routes = List.copyOf(routes);
        cryptoBackend = cryptoBackend == null ? "" : cryptoBackend;
    }

    /** A snapshot that names no crypto backend, as from a client that does not know it. */
    public ClientStatus(ClientState state, String server, List<IpPrefix> tunnelAddresses, String transport,
            String cipherSuite, Traffic traffic, Duration rtt, Instant since, int reconnects, Instant connectedAt,
            List<String> routes, boolean ipv6Blocked, long ipv6Dropped, long relayFailures, boolean plain) {
        this(state, server, tunnelAddresses, transport, cipherSuite, traffic, rtt, since, reconnects, connectedAt, routes,
                ipv6Blocked, ipv6Dropped, relayFailures, plain, "", null);
    }

    /** A snapshot that tells no key age. */
    public ClientStatus(ClientState state, String server, List<IpPrefix> tunnelAddresses, String transport,
            String cipherSuite, Traffic traffic, Duration rtt, Instant since, int reconnects, Instant connectedAt,
            List<String> routes, boolean ipv6Blocked, long ipv6Dropped, long relayFailures, boolean plain,
            String cryptoBackend) {
        this(state, server, tunnelAddresses, transport, cipherSuite, traffic, rtt, since, reconnects, connectedAt, routes,
                ipv6Blocked, ipv6Dropped, relayFailures, plain, cryptoBackend, null);
    }
}

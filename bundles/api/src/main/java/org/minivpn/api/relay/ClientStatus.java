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
 */
public record ClientStatus(ClientState state, String server, List<IpPrefix> tunnelAddresses, String transport,
        String cipherSuite, Traffic traffic, Duration rtt, Instant since, int reconnects, Instant connectedAt,
        List<String> routes) {

    public ClientStatus {
        tunnelAddresses = List.copyOf(tunnelAddresses);
        routes = List.copyOf(routes);
    }
}

package org.minivpn.api.relay;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.minivpn.api.IpPrefix;

/**
 * A snapshot of one client session on a {@link VpnServer}.
 *
 * @param identity the client's authenticated identity (certificate CN)
 * @param tunnelAddresses the addresses the server gave it
 * @param remote the client's current underlay endpoint
 * @param traffic counters, as the server sees them
 * @param lastSeen when the last packet came from the client
 * @param rtt the last measured round-trip time, or null
 * @param plain true for a plain peer, one that never said HELLO (the original C MiniVPN's client):
 *     it is sent IP packets only, no configuration or keepalives, so it has no round-trip time, and
 *     its address comes from a static one or from its first packet
 */
public record SessionInfo(String identity, List<IpPrefix> tunnelAddresses, InetSocketAddress remote, Traffic traffic,
        Instant lastSeen, Duration rtt, boolean plain) {

    public SessionInfo {
        tunnelAddresses = List.copyOf(tunnelAddresses);
    }
}

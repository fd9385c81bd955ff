package org.minivpn.api.relay;

import java.time.Instant;
import java.util.Map;
import java.util.Collections;
import java.util.TreeMap;

/**
 * A snapshot of a {@link VpnServer} beside its sessions ({@link VpnServer#sessions()}).
 *
 * @param running true while it serves
 * @param endpoint the UDP endpoint it listens on, as host:port, or "" when not running
 * @param transport the transport type it listens with (e.g. "dtls"), or ""
 * @param since when it started serving, or null when not running
 * @param sessions how many client sessions it holds
 * @param poolSize how many IPv4 client addresses its pool has (network, broadcast and its own excluded)
 * @param poolInUse how many of them sessions hold now
 * @param unroutedDropped packets read from the TUN whose destination no session holds, dropped
 * @param relayFailures unexpected failures of the relay's own thread it survived (see
 *     {@link VpnServer#relayFailures()})
 * @param transportCounters what the transport's listener counted, by key (see
 *     {@link org.minivpn.api.transport.TransportServer#counters()}), sorted by key
 */
public record ServerStatus(boolean running, String endpoint, String transport, Instant since, int sessions, int poolSize,
        int poolInUse, long unroutedDropped, long relayFailures, Map<String, Long> transportCounters) {

    /** A server that does not serve. */
    public static final ServerStatus STOPPED = new ServerStatus(false, "", "", null, 0, 0, 0, 0, 0, Map.of());

    public ServerStatus {
        transportCounters = Collections.unmodifiableSortedMap(new TreeMap<>(transportCounters));
    }
}

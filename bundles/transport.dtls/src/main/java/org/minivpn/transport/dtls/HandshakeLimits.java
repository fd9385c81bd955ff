package org.minivpn.transport.dtls;

import java.time.Duration;

/**
 * How a server admits handshakes from one source: IPv4 address, or IPv6 /64 (a host owns a whole
 * /64, as WireGuard's device/ratelimiter.go assumes).
 *
 * @param perSource handshakes in flight at once from one source ({@code handshake.per.source})
 * @param ratePerSecond new handshakes a source may start per second, on average ({@code handshake.rate})
 * @param burst new handshakes a source may start at once after a quiet spell ({@code handshake.burst})
 * @param pressureTimeout the timeout of every handshake while more than half of {@code handshake.max}
 *     are in flight ({@code handshake.pressure.timeout})
 */
record HandshakeLimits(int perSource, int ratePerSecond, int burst, Duration pressureTimeout) {

    /** The defaults of {@link DtlsConfig}: a client needs one handshake, a NAT of a few hosts a few. */
    static final HandshakeLimits DEFAULT = new HandshakeLimits(4, 10, 20, Duration.ofSeconds(3));
}

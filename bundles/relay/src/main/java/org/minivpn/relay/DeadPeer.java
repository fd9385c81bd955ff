package org.minivpn.relay;

import java.time.Duration;

/**
 * How fast a client notices that its server stopped answering while it sends, as WireGuard does:
 * data sent and nothing received for KEEPALIVE + REKEY_TIMEOUT starts a new handshake. Here, when
 * data went out and no record came back for {@code probeAfter}, the client pings at once and then
 * every {@code probeInterval}; when still nothing came {@code deadAfter} later it declares the
 * server dead and reconnects. A plain server is never pinged: data sent and nothing received for
 * {@code plainSilence} declares it dead (zero: never).
 *
 * <p>Only the absence of authenticated records counts. No datagram, from anyone, ends a session
 * here: an off-path "reset" would be a denial of service.
 *
 * @param probeAfter data sent and nothing received this long starts probing
 * @param probeInterval time between probes
 * @param deadAfter probing this long without any record from the server declares it dead
 * @param plainSilence with a plain server, data sent and nothing received this long declares it dead; zero for never
 */
record DeadPeer(Duration probeAfter, Duration probeInterval, Duration deadAfter, Duration plainSilence) {

    /** 1 s of unanswered data, then a probe every 500 ms, dead 2.5 s later (5 probes); a plain server after 15 s. */
    static final DeadPeer DEFAULT = new DeadPeer(Duration.ofMillis(1000), Duration.ofMillis(500), Duration.ofMillis(2500),
            Duration.ofSeconds(15));

    DeadPeer {
        if (probeAfter.toMillis() < 100 || probeInterval.toMillis() < 100 || deadAfter.toMillis() < 100) {
            throw new IllegalArgumentException("probe.after.millis, probe.interval.millis and probe.dead.millis must be"
                    + " at least 100: use e.g. 1000, 500 and 2500");
        }
        if (plainSilence.isNegative()) {
            throw new IllegalArgumentException("plain.silence.seconds must not be negative: use e.g. 15, or 0 for never");
        }
    }
}

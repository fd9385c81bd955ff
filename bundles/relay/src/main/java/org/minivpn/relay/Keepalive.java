package org.minivpn.relay;

import java.time.Duration;

/**
 * How a client knows its server is alive. A server that speaks control messages is pinged every
 * keepalive interval and declared dead after the timeout without any record from it. A plain server
 * (the original C MiniVPN's, which writes every record to its TUN and exits on one that is not an IP
 * packet) is never pinged: only its own data shows it alive, and it is declared dead after {@code
 * plain.timeout.seconds} without any (zero: never), as OpenVPN's --inactive counts tunnel traffic only.
 *
 * <p>A server that stops answering while the client sends is found much sooner ({@link DeadPeer},
 * after WireGuard: data sent and nothing received for KEEPALIVE + REKEY_TIMEOUT means a new
 * handshake): once data went out and no record came back for {@code probe.after}, it is pinged at
 * once and every {@code probe.interval}, and declared dead when {@code probe.dead} more pass without
 * any record. A plain server is declared dead after {@code plain.silence} of unanswered data. Only
 * silence counts: nothing a datagram says can end a session here.
 *
 * <p>{@link #heard} is called by the transport's receive thread, {@link #due} by the TUN loop's; the
 * settings change on the connecting or reconnect thread while the TUN loop sends nothing.
 */
final class Keepalive {

    /** What {@link #due} asks the TUN loop to do. */
    enum Due { NOTHING, PING, DEAD }

    private final long plainTimeoutNanos;
    private final long probeAfterNanos;
    private final long probeIntervalNanos;
    private final long probeDeadNanos;
    private final long plainSilenceNanos;
    private volatile boolean plain;
    private volatile long lastSeenNanos;
    private volatile long rttNanos = -1;
    private volatile long keepaliveNanos;
    private volatile long timeoutNanos;
    private long nextPingNanos; // TUN loop thread only
    private long sentCount; // TUN loop thread only: the data count seen at the last tick
    private boolean unanswered; // TUN loop thread only: data went out after the last record heard
    private long unansweredSince; // TUN loop thread only: when the first such data went out
    private long nextProbeNanos; // TUN loop thread only
    private String deadReason = ""; // TUN loop thread only

    Keepalive(ClientSettings settings) {
        this.plain = settings.plain();
        this.plainTimeoutNanos = settings.plainTimeout().toNanos();
        DeadPeer d = settings.deadPeer();
        this.probeAfterNanos = d.probeAfter().toNanos();
        this.probeIntervalNanos = d.probeInterval().toNanos();
        this.probeDeadNanos = d.deadAfter().toNanos();
        this.plainSilenceNanos = d.plainSilence().toNanos();
    }

    /** True when the client sends its server IP packets only, and no control message. */
    boolean plain() {
        return plain;
    }

    /** From now on, until disconnect, no control message is sent: the server is a plain one. */
    void speakPlainly() {
        plain = true;
    }

    /** Takes the keepalive interval and timeout of a new session's configuration. */
    void apply(PushedConfig c) {
        keepaliveNanos = c.keepalive().toNanos();
        timeoutNanos = c.timeout().toNanos();
    }

    /** A record came from the server at {@code now}. */
    void heard(long now) {
        lastSeenNanos = now;
    }

    /** A PONG came back carrying the PING's send time. */
    void pong(long sentNanos, long now) {
        rttNanos = now - sentNanos;
    }

    /** The last round-trip time in nanoseconds, or -1 when none was measured. */
    long rttNanos() {
        return rttNanos;
    }

    /**
     * Whether a ping is due or the server is to be declared dead, at {@code now}. Allocates nothing.
     *
     * @param sentPackets how many data packets the client has sent so far; a change since the last
     *     call means data went out
     */
    Due due(long now, long sentPackets) {
        long seen = lastSeenNanos;
        if (unanswered && seen - unansweredSince >= 0) {
            unanswered = false; // the server spoke after the data went out
        }
        if (sentPackets != sentCount) {
            sentCount = sentPackets;
            if (!unanswered) {
                unanswered = true;
                unansweredSince = now;
                nextProbeNanos = now + probeAfterNanos;
            }
        }
        long silent = now - seen;
        long waiting = unanswered ? now - unansweredSince : 0;
        if (plain) {
            if (plainTimeoutNanos > 0 && silent > plainTimeoutNanos) {
                deadReason = "the plain server sent nothing for " + seconds(plainTimeoutNanos) + " s (plain.timeout.seconds)";
                return Due.DEAD;
            }
            if (plainSilenceNanos > 0 && waiting > plainSilenceNanos) {
                deadReason = "the plain server answered none of the data sent for " + seconds(plainSilenceNanos)
                        + " s (plain.silence.seconds)";
                return Due.DEAD;
            }
            return Due.NOTHING;
        }
        if (silent > timeoutNanos) {
            deadReason = "the server was silent for " + seconds(timeoutNanos) + " s";
            return Due.DEAD;
        }
        if (unanswered && waiting >= probeAfterNanos + probeDeadNanos) {
            deadReason = "dead peer: the server answered neither the data sent for " + millis(waiting)
                    + " ms nor the probes of the last " + millis(probeDeadNanos) + " ms (probe.dead.millis)";
            return Due.DEAD;
        }
        if (unanswered && now - nextProbeNanos >= 0) {
            nextProbeNanos = now + probeIntervalNanos;
            nextPingNanos = now + keepaliveNanos;
            return Due.PING;
        }
        if (now - nextPingNanos >= 0) {
            nextPingNanos = now + keepaliveNanos;
            return Due.PING;
        }
        return Due.NOTHING;
    }

    /** Why {@link #due} said DEAD. TUN loop thread only. */
    String silence() {
        return deadReason;
    }

    private static long seconds(long nanos) {
        return Duration.ofNanos(nanos).toSeconds();
    }

    private static long millis(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }
}

package org.minivpn.relay;

import java.time.Duration;

/**
 * How a client knows its server is alive. A server that speaks control messages is pinged every
 * keepalive interval and declared dead after the timeout without any record from it. A plain server
 * (the original C MiniVPN's, which writes every record to its TUN and exits on one that is not an IP
 * packet) is never pinged: only its own data shows it alive, and it is declared dead after {@code
 * plain.timeout.seconds} without any (zero: never), as OpenVPN's --inactive counts tunnel traffic only.
 *
 * <p>{@link #heard} is called by the transport's receive thread, {@link #due} by the TUN loop's; the
 * settings change on the connecting or reconnect thread while the TUN loop sends nothing.
 */
final class Keepalive {

    /** What {@link #due} asks the TUN loop to do. */
    enum Due { NOTHING, PING, DEAD }

    private final long plainTimeoutNanos;
    private volatile boolean plain;
    private volatile long lastSeenNanos;
    private volatile long rttNanos = -1;
    private volatile long keepaliveNanos;
    private volatile long timeoutNanos;
    private long nextPingNanos; // TUN loop thread only

    Keepalive(ClientSettings settings) {
        this.plain = settings.plain();
        this.plainTimeoutNanos = settings.plainTimeout().toNanos();
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

    /** Whether a ping is due or the server is to be declared dead, at {@code now}. Allocates nothing. */
    Due due(long now) {
        long silent = now - lastSeenNanos;
        if (plain) {
            return plainTimeoutNanos > 0 && silent > plainTimeoutNanos ? Due.DEAD : Due.NOTHING;
        }
        if (silent > timeoutNanos) {
            return Due.DEAD;
        }
        if (now - nextPingNanos >= 0) {
            nextPingNanos = now + keepaliveNanos;
            return Due.PING;
        }
        return Due.NOTHING;
    }

    /** Why {@link #due} said DEAD. */
    String silence() {
        return plain ? "the plain server sent nothing for " + Duration.ofNanos(plainTimeoutNanos).toSeconds()
                + " s (plain.timeout.seconds)"
                : "the server was silent for " + Duration.ofNanos(timeoutNanos).toSeconds() + " s";
    }
}

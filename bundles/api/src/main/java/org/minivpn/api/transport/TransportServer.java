package org.minivpn.api.transport;

import java.io.Closeable;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/** A listening server socket of a {@link Transport} and the sessions it accepted. */
@ProviderType
public interface TransportServer extends Closeable {

    /** The bound address (with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** A snapshot of the open sessions. */
    List<Session> sessions();

    /** Counter key prefix: datagrams or records dropped, by reason, e.g. {@code dropped.forged}. */
    String DROPPED = "dropped.";

    /**
     * Counter key prefix: handshakes by outcome, e.g. {@code handshakes.ok}, {@code handshakes.failed},
     * {@code handshakes.timeout}, and new clients turned away before a handshake, e.g.
     * {@code handshakes.busy} or {@code handshakes.rate_limited}.
     */
    String HANDSHAKES = "handshakes.";

    /**
     * What the listener counted since it was opened: keys are a prefix ({@link #DROPPED},
     * {@link #HANDSHAKES}) and a lower-case reason in snake case; values only grow. A snapshot, read
     * from any thread, each value possibly a packet behind. Empty when the transport counts nothing.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }

    /** Closes every session and the socket. Idempotent; returns within a second. */
    @Override
    void close();
}

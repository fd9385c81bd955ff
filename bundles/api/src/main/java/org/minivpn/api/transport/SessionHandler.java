package org.minivpn.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives what happens to sessions. All calls come from the transport's receive thread(s); for one
 * session they come from one thread at a time and in order: {@link #opened}, any number of
 * {@link #received}, then {@link #closed} once. Implementations must not block.
 */
@ConsumerType
public interface SessionHandler {

    /** A session completed its handshake; on a server, before its first packet. */
    default void opened(Session session) {
    }

    /**
     * One packet arrived. {@code buf} belongs to the transport and is valid only during this call:
     * copy or write it out before returning.
     */
    void received(Session session, byte[] buf, int off, int len);

    /**
     * The receive thread delivered every packet that was waiting and is about to wait for more: a
     * handler that holds writes back to batch them (see {@link org.minivpn.api.tun.TunDevice#flush()})
     * writes them out now. A transport calls it on each receive thread whenever it finds nothing
     * waiting, before it waits; it may come when nothing was received since the last call.
     */
    default void drained() {
    }

    /** The session ended; {@code reason} says why in words a user can act on. Called once. */
    default void closed(Session session, String reason) {
    }
}

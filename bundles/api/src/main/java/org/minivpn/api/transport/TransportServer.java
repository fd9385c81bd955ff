package org.minivpn.api.transport;

import java.io.Closeable;
import java.net.InetSocketAddress;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** A listening server socket of a {@link Transport} and the sessions it accepted. */
@ProviderType
public interface TransportServer extends Closeable {

    /** The bound address (with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** A snapshot of the open sessions. */
    List<Session> sessions();

    /** Closes every session and the socket. Idempotent; returns within a second. */
    @Override
    void close();
}

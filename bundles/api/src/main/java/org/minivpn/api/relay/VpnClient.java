package org.minivpn.api.relay;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/** The client side of the VPN: one tunnel to one server at a time. Thread-safe. */
@ProviderType
public interface VpnClient {

    /**
     * Connects and returns once the tunnel carries traffic, or throws. While connected, a lost
     * session is reconnected by the client itself until {@link #disconnect()}.
     *
     * @throws IllegalStateException when already connected or connecting
     * @throws org.minivpn.api.transport.NotConfiguredException when no server is given and none is
     *     configured, or the transport has no CA or certificate yet: the appliance is not set up
     * @throws IOException with a message that says what to do (e.g. no CA configured, server refused
     *     our certificate, no answer from the server within the timeout)
     */
    void connect(ConnectRequest request) throws IOException;

    /** Ends the tunnel and restores routing. Idempotent. */
    void disconnect();

    /** A snapshot of the client's state and counters. */
    ClientStatus status();
}

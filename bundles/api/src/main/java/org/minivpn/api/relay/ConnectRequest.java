package org.minivpn.api.relay;

import java.util.Objects;

/**
 * What {@code vpn:connect} asks for.
 *
 * @param host the server's host name or address; "" for the server in the client's configuration
 * @param port the server's UDP port
 * @param transport the transport type to use (e.g. "dtls"), or null for the configured one
 * @param splitTunnel true to route only the pushed routes through the tunnel, not everything
 * @param plain true to speak plainly, as the original C MiniVPN's client does: IP packets only, no
 *     control messages; the tunnel address must then be configured
 */
public record ConnectRequest(String host, int port, String transport, boolean splitTunnel, boolean plain) {

    public ConnectRequest {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range: use 1..65535");
        }
    }

    /** A request that speaks plainly only when the client's configuration says so. */
    public ConnectRequest(String host, int port, String transport, boolean splitTunnel) {
        this(host, port, transport, splitTunnel, false);
    }
}

package org.minivpn.api.route;

import java.util.List;
import java.util.Objects;
import org.minivpn.api.IpPrefix;

/**
 * What a server asks of its routing: forward its clients' traffic and masquerade it out. From
 * outside, only replies to connections the clients opened are let into the tunnel.
 *
 * @param tunName the server's TUN interface
 * @param tunnelNetworks the client address pools (IPv4 and/or IPv6)
 * @param egressInterface the interface traffic leaves by, or null for the one the default route uses
 * @param mtu the tunnel MTU, to clamp TCP MSS so that nothing black-holes
 * @param clientToClient true to let the kernel forward from the tunnel back into it (client to
 *     client); false to drop that, as OpenVPN does without {@code client-to-client}
 */
public record ServerRoutes(String tunName, List<IpPrefix> tunnelNetworks, String egressInterface, int mtu,
        boolean clientToClient) {

    public ServerRoutes {
        Objects.requireNonNull(tunName, "tunName");
        tunnelNetworks = List.copyOf(tunnelNetworks);
    }

    /** Without client-to-client forwarding. */
    public ServerRoutes(String tunName, List<IpPrefix> tunnelNetworks, String egressInterface, int mtu) {
        this(tunName, tunnelNetworks, egressInterface, mtu, false);
    }
}

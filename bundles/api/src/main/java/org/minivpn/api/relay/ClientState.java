package org.minivpn.api.relay;

/** Where a {@link VpnClient} is in its life. */
public enum ClientState {
    /** No tunnel; routing is the host's own. */
    DISCONNECTED,
    /** The first handshake is under way. */
    CONNECTING,
    /** The tunnel carries traffic. */
    CONNECTED,
    /** The session was lost; the TUN and routes stay while a new one is made. */
    RECONNECTING
}

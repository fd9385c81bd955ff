package org.minivpn.api.relay;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told of every state change of the {@link VpnClient}. Called on the relay's own
 * threads: return quickly and never block.
 */
@ConsumerType
public interface ClientListener {

    /**
     * @param from the state before
     * @param to the state now
     * @param reason why, in words for a user (e.g. "server silent for 40 s")
     */
    void stateChanged(ClientState from, ClientState to, String reason);
}

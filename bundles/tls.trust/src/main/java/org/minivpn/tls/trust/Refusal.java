package org.minivpn.tls.trust;

import org.bouncycastle.tls.TlsFatalAlert;

/**
 * This side refuses the peer: thrown from a handshake callback, it makes Bouncy Castle send
 * {@code alert} to the peer and end the handshake; {@link #reason()} says why in words a user can
 * act on.
 */
public final class Refusal extends TlsFatalAlert {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public Refusal(short alert, String reason) {
        super(alert, reason);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}

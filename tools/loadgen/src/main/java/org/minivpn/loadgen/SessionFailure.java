package org.minivpn.loadgen;

import java.io.IOException;

/** A session that did not open or did not last, for a reason the server gave or that we saw; the message says which. */
final class SessionFailure extends IOException {

    private static final long serialVersionUID = 1L;

    SessionFailure(String reason) {
        super(reason);
    }
}

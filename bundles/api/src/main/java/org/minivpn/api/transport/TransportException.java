package org.minivpn.api.transport;

import java.io.IOException;

/** A session could not be made or was ended by the protocol, e.g. a certificate was refused. */
public class TransportException extends IOException {

    private static final long serialVersionUID = 1L;

    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}

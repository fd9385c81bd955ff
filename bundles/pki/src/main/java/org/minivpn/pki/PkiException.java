package org.minivpn.pki;

/**
 * A certificate authority operation was refused or failed. The message is meant for the user: it
 * says what is wrong and what to do, and nothing was left half-written.
 */
public final class PkiException extends Exception {

    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}

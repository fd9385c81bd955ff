package org.minivpn.shell;

/**
 * A vpn: command that failed, with a message that says what to do. The interactive Gogo shell
 * prints a failure as its {@code toString()} (Felix gogo.jline's Shell), which for any other
 * exception starts with the class name, as in {@code org.minivpn.api.transport.TransportException:
 * no CA configured}; this one prints as its message alone, as minivpn-ctl does. The cause is kept,
 * for {@code $exception printStackTrace}.
 */
final class CommandFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}

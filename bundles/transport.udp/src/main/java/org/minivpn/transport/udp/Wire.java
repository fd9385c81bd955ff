package org.minivpn.transport.udp;

/**
 * The plaintext wire format: one datagram per packet, behind one byte that says what it is. A
 * capture shows the tunnelled IP packet in the clear from the second byte on.
 */
final class Wire {

    /** A packet follows. */
    static final byte DATA = 0;
    /** A client asks for a session. */
    static final byte HELLO = 1;
    /** The server accepted a HELLO. */
    static final byte WELCOME = 2;
    /** The sender ends the session. */
    static final byte BYE = 3;

    /** The largest datagram we read. */
    static final int MAX_DATAGRAM = 65536;

    private Wire() {
    }
}

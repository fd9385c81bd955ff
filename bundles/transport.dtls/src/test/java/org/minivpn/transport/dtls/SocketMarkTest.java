package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The {@code socket.mark} setting, which the transport hands to the client sockets it opens. */
class SocketMarkTest {

    @Test
    void theSocketMarkSettingIsDecimalOrHexAndABadOneMarksNothing() {
        assertEquals(0x6d76, DtlsTransport.socketMark("0x6d76"));
        assertEquals(28022, DtlsTransport.socketMark(" 28022 "));
        assertEquals(0, DtlsTransport.socketMark(""));
        assertEquals(0, DtlsTransport.socketMark("mark"));
        assertEquals(0, DtlsTransport.socketMark("0x100000000"));
        assertEquals(0xffffffff, DtlsTransport.socketMark("0xffffffff"));
    }
}

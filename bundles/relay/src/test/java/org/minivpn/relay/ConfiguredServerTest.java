package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.minivpn.api.relay.ConnectRequest;

class ConfiguredServerTest {

    private static final ConnectRequest ASKED = new ConnectRequest("", 23232, "dtls", true);

    @Test
    void hostWithAndWithoutPort() {
        assertEquals(new ConnectRequest("vpn.example.com", 23232, "dtls", true), ClientRelay.withServer("vpn.example.com", ASKED));
        assertEquals(new ConnectRequest("198.18.60.1", 4000, "dtls", true), ClientRelay.withServer("198.18.60.1:4000", ASKED));
    }

    @Test
    void ipv6BareOrBracketed() {
        assertEquals(new ConnectRequest("fd00::1", 23232, "dtls", true), ClientRelay.withServer("fd00::1", ASKED));
        assertEquals(new ConnectRequest("fd00::1", 23232, "dtls", true), ClientRelay.withServer("[fd00::1]", ASKED));
        assertEquals(new ConnectRequest("fd00::1", 4000, "dtls", true), ClientRelay.withServer("[fd00::1]:4000", ASKED));
    }
}

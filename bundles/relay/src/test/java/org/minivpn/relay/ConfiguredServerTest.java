package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;
import org.minivpn.api.relay.ConnectRequest;
import org.minivpn.api.transport.NotConfiguredException;

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

    /** A first start: no host given and none configured is "not set up", which the shell answers with the steps. */
    @Test
    void noServerGivenNorConfiguredIsNotConfigured() {
        ClientConfig defaults = (ClientConfig) Proxy.newProxyInstance(ClientConfig.class.getClassLoader(),
                new Class<?>[] {ClientConfig.class}, (proxy, method, args) -> method.getDefaultValue());
        NotConfiguredException e = assertThrows(NotConfiguredException.class, () -> new ClientRelay(defaults).connect(ASKED));
        assertTrue(e.getMessage().startsWith("no server given and none configured"), e.getMessage());
    }
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Proxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a server does when its configuration file sets nothing: the safe choices. */
class ServerDefaultsTest {

    /** The configuration as SCR gives it for an empty file: every attribute at its default. */
    static ServerConfig defaults() {
        return (ServerConfig) Proxy.newProxyInstance(ServerConfig.class.getClassLoader(), new Class<?>[] {ServerConfig.class},
                (proxy, method, args) -> method.getDefaultValue());
    }

    @Test
    void clientsDoNotReachEachOtherOneSessionPerIdentityAndAMinuteOfQuarantine() {
        ServerSettings s = ServerRelay.settings(defaults(), 0);
        assertFalse(s.clientToClient(), "client.to.client is off, as OpenVPN's client-to-client");
        assertFalse(s.duplicateIdentity(), "duplicate.identity is off, as OpenVPN without duplicate-cn");
        assertEquals(Duration.ofSeconds(60), s.addressQuarantine());
        assertEquals(23232, s.port());
        assertEquals(Duration.ofSeconds(180), s.plainTimeout(), "plain peers: as the DTLS session.idle.timeout");
    }
}

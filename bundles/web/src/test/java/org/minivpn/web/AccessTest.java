package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Who may read the page: the bind address, the peer, the Host and Origin headers, the password. */
class AccessTest {

    private static final String PASSWORD = "correct horse battery";

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aNonLoopbackBindWithoutAPasswordIsRefusedWithTheReason() {
        for (String bind : new String[] {"0.0.0.0", "::", "198.18.0.1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Access.of(Configs.web(bind, 8023, "")));
            assertTrue(e.getMessage().contains("lets other hosts reach it, and no password is set"), e.getMessage());
            assertTrue(e.getMessage().contains("ssh -L 8023:127.0.0.1:8023"), e.getMessage());
        }
        IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class,
                () -> Access.of(Configs.web("0.0.0.0", 8023, "short")));
        assertTrue(shortOne.getMessage().contains("shorter than 12 characters"), shortOne.getMessage());
    }

    @Test
    void aNonLoopbackBindWithAPasswordIsAcceptedAndLoopbackNeedsNone() {
        assertTrue(Access.of(Configs.web("0.0.0.0", 8023, PASSWORD)).exposed());
        assertTrue(!Access.of(Configs.web("127.0.0.1", 8023, "")).exposed());
        assertTrue(!Access.of(Configs.web("::1", 0, "")).exposed());
    }

    @Test
    void aNameOrABadPortIsNoBindAddress() {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> Access.of(Configs.web("localhost", 8023, "")));
        assertTrue(name.getMessage().contains("is not an IP address"), name.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Access.of(Configs.web("127.0.0.1", 70000, "")));
    }

    @Test
    void withoutAPasswordOnlyLoopbackPeersAreAnswered() {
        Access a = Access.of(Configs.web("127.0.0.1", 8023, ""));
        assertNull(a.check("127.0.0.1", "127.0.0.1:8023", null, null));
        assertNull(a.check("::1", "localhost:8023", null, null));
        Access.Refusal r = a.check("198.18.0.2", "127.0.0.1:8023", null, null);
        assertEquals(403, r.status());
        assertTrue(r.reason().contains("only this host (loopback) unless a password"), r.reason());
    }

    @Test
    void aHostHeaderThatNamesAnotherSiteIsRefused() {
        Access a = Access.of(Configs.web("127.0.0.1", 8023, ""));
        Access.Refusal rebound = a.check("127.0.0.1", "attacker.example:8023", null, null);
        assertEquals(403, rebound.status(), "a DNS name rebound to 127.0.0.1 reads nothing");
        assertEquals(403, a.check("127.0.0.1", null, null, null).status(), "no Host header");
        assertNull(a.check("127.0.0.1", "[::1]:8023", null, null));
        Access named = Access.of(Configs.web("0.0.0.0", 8023, PASSWORD, "vpn.example.com"));
        assertNull(named.check("198.18.0.2", "VPN.example.com:8023", null, "Bearer " + PASSWORD));
    }

    @Test
    void aRequestFromAnotherSiteIsRefused() {
        Access a = Access.of(Configs.web("127.0.0.1", 8023, ""));
        assertEquals(403, a.check("127.0.0.1", "127.0.0.1:8023", "http://attacker.example", null).status());
        assertNull(a.check("127.0.0.1", "127.0.0.1:8023", "http://127.0.0.1:8023", null));
    }

    @Test
    void withAPasswordEveryRequestMustCarryIt() {
        Access a = Access.of(Configs.web("0.0.0.0", 8023, PASSWORD));
        assertEquals(401, a.check("198.18.0.2", "198.18.0.1:8023", null, null).status());
        assertEquals(401, a.check("127.0.0.1", "127.0.0.1:8023", null, null).status(), "loopback too");
        assertEquals(401, a.check("198.18.0.2", "198.18.0.1:8023", null, basic("admin", "wrong password!")).status());
        assertEquals(401, a.check("198.18.0.2", "198.18.0.1:8023", null, "Basic not-base64!").status());
        assertNull(a.check("198.18.0.2", "198.18.0.1:8023", null, basic("admin", PASSWORD)));
        assertNull(a.check("198.18.0.2", "198.18.0.1:8023", null, basic("", PASSWORD)));
        assertNull(a.check("198.18.0.2", "198.18.0.1:8023", null, "Bearer " + PASSWORD));
    }

    @Test
    void onlyIpLiteralsAreAddressesAndNoNameIsLookedUp() {
        assertNull(Access.literal("deadbeef"));
        assertNull(Access.literal("localhost"));
        assertNull(Access.literal("1234"));
        assertEquals("127.0.0.1", Access.literal("127.0.0.1").getHostAddress());
        assertTrue(Access.literal("::1").isLoopbackAddress());
        assertEquals("::1", Access.hostName("[::1]:8023"));
        assertEquals("example.com", Access.hostName("Example.COM:80"));
    }
}

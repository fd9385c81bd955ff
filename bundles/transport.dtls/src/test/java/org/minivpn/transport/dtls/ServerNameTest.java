package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.tls.trust.PeerCheck;

/**
 * Which server certificates a client accepts for the name or address it connected to (RFC 6125 6.4,
 * RFC 2818 3.1): addresses only by their iPAddress names, host names by their dNSNames, the CN only
 * for a host name on a certificate that has no dNSName.
 */
class ServerNameTest {

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void ca() throws Exception {
        pki = new TestPki(dir, "Name CA");
    }

    @Test
    void anAddressMatchesOnlyAnIpAlternativeName() throws Exception {
        X509Certificate server = pki.issue("server", TestPki.Usage.SERVER, false, "vpn.example.org", "198.18.60.1", "2001:db8::1");
        assertTrue(PeerCheck.matchesName(server, "198.18.60.1"));
        assertTrue(PeerCheck.matchesName(server, "[2001:db8:0::1]"));
        assertFalse(PeerCheck.matchesName(server, "198.18.60.2"), "another address of the same CA's server");
        X509Certificate rogue = pki.issue("rogue", TestPki.Usage.SERVER, false, "198.18.93.2");
        assertFalse(PeerCheck.matchesName(rogue, "198.18.60.1"), "a rogue server's certificate of the same CA");
    }

    @Test
    void anAddressNeverMatchesTheCommonName() throws Exception {
        X509Certificate byCn = pki.issue("198.18.60.1", TestPki.Usage.SERVER, false);
        assertFalse(PeerCheck.matchesName(byCn, "198.18.60.1"));
    }

    @Test
    void aHostNameFallsBackToTheCommonNameOnlyWithoutDnsNames() throws Exception {
        X509Certificate onlyIp = pki.issue("gateway", TestPki.Usage.SERVER, false, "198.18.60.1");
        assertTrue(PeerCheck.matchesName(onlyIp, "gateway"), "no dNSName: the CN serves");
        X509Certificate withDns = pki.issue("gateway", TestPki.Usage.SERVER, false, "vpn.example.org");
        assertFalse(PeerCheck.matchesName(withDns, "gateway"), "a dNSName is there: the CN is not consulted");
        assertTrue(PeerCheck.matchesName(withDns, "VPN.example.org."));
    }

    @Test
    void aWildcardCoversOneLabel() throws Exception {
        X509Certificate wild = pki.issue("wild", TestPki.Usage.SERVER, false, "*.example.org");
        assertTrue(PeerCheck.matchesName(wild, "vpn.example.org"));
        assertFalse(PeerCheck.matchesName(wild, "a.vpn.example.org"));
        assertFalse(PeerCheck.matchesName(wild, "example.org"));
    }
}

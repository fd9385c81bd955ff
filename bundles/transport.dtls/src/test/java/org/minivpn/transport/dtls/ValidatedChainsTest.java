package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.Refusal;

/** The cache of validated client paths never accepts what a fresh validation would refuse. */
class ValidatedChainsTest {

    @TempDir
    Path dir;

    private TestPki pki;

    @BeforeEach
    void pki() throws Exception {
        pki = new TestPki(dir.resolve("pki"), "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
    }

    private Credentials server() {
        Credentials c = Credentials.load(pki.settings("server").trust());
        assertEquals(null, c.serverProblem());
        return c;
    }

    private static Refusal refused(Credentials trust, X509Certificate client) {
        return assertThrows(Refusal.class, () -> PeerCheck.verify(trust, List.of(client), PeerCheck.Role.CLIENT, null, List.of()));
    }

    @Test
    void aClientThatComesBackIsRememberedOnceAndStillAccepted() throws Exception {
        X509Certificate alice = pki.issue("alice", TestPki.Usage.CLIENT, false);
        Credentials trust = server();
        for (int i = 0; i < 3; i++) {
            assertEquals("alice", PeerCheck.verify(trust, List.of(alice), PeerCheck.Role.CLIENT, null, List.of()).identity());
        }
        assertEquals(1, trust.validated.size(), "one path, validated once and then found");
        // The CA sent along with the client's own certificate is the same path.
        PeerCheck.verify(trust, List.of(alice, pki.ca), PeerCheck.Role.CLIENT, null, List.of());
        assertEquals(1, trust.validated.size());
    }

    @Test
    void aRememberedClientThatExpiresIsRefused() throws Exception {
        Instant now = Instant.now();
        X509Certificate brief = pki.issue("brief", TestPki.Usage.CLIENT, false, now.minusSeconds(60), now.plusSeconds(2));
        Credentials trust = server();
        PeerCheck.verify(trust, List.of(brief), PeerCheck.Role.CLIENT, null, List.of());
        assertEquals(1, trust.validated.size());
        long until = brief.getNotAfter().getTime() + 1100;
        while (System.currentTimeMillis() < until) {
            Thread.sleep(100);
        }
        Refusal r = refused(trust, brief);
        assertEquals(AlertDescription.certificate_expired, r.getAlertDescription(), r.reason());
        assertTrue(r.reason().contains("expired"), r.reason());
    }

    @Test
    void aRememberedClientThatIsRevokedIsRefusedByTheNewCrl() throws Exception {
        X509Certificate alice = pki.issue("alice", TestPki.Usage.CLIENT, false);
        Credentials before = server();
        PeerCheck.verify(before, List.of(alice), PeerCheck.Role.CLIENT, null, List.of());
        pki.revoke(alice);
        Credentials after = server(); // what the transport loads when crl.pem changes
        assertEquals(0, after.validated.size(), "new credentials start with an empty cache");
        Refusal r = refused(after, alice);
        assertEquals(AlertDescription.certificate_revoked, r.getAlertDescription(), r.reason());
    }

    @Test
    void refusedPathsAreNotRemembered() throws Exception {
        TestPki other = new TestPki(dir.resolve("other"), "Other CA");
        X509Certificate mallory = other.issue("mallory", TestPki.Usage.CLIENT, false);
        X509Certificate server = pki.issue("server2", TestPki.Usage.SERVER, false);
        Credentials trust = server();
        for (int i = 0; i < 2; i++) {
            assertEquals(AlertDescription.unknown_ca, refused(trust, mallory).getAlertDescription());
            assertEquals(AlertDescription.unsupported_certificate, refused(trust, server).getAlertDescription(),
                    "a path that validates is still checked for its role on every use");
        }
        assertEquals(1, trust.validated.size(), "only the path that validated (server2's, refused for its role)");
    }
}

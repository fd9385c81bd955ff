package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.NotConfiguredException;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;

/** Who is refused, and that both sides say why. */
class CertificateTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    Path dir;

    private TestPki pki;
    private DtlsTransport serverSide;
    private DtlsTransport clientSide;
    private TransportServer server;
    private Inbox serverInbox;
    private LogCapture log;

    @BeforeEach
    void start() throws Exception {
        log = new LogCapture();
        pki = new TestPki(dir.resolve("pki"), "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "vpn.example.org", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        pki.writeCrl();
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        serverInbox = Inbox.echoing();
        server = serverSide.listen(LOOPBACK, serverInbox);
    }

    @AfterEach
    void stop() {
        server.close();
        if (clientSide != null) {
            clientSide.deactivate();
        }
        serverSide.deactivate();
        log.close();
    }

    private Session connect(DtlsSettings settings, String serverName, Inbox inbox) throws Exception {
        if (clientSide != null) {
            clientSide.deactivate();
        }
        clientSide = Backends.transport(settings, Backends.jca());
        return clientSide.connect(server.localAddress(), serverName, inbox, WAIT);
    }

    @Test
    void theServerNameMayBeADnsNameOrAnIpItCarries() throws Exception {
        for (String name : List.of("vpn.example.org", "127.0.0.1", "VPN.example.org")) {
            Session s = connect(pki.settings("alice"), name, Inbox.collecting());
            assertEquals("server", s.peerIdentity());
            s.close();
        }
    }

    @Test
    void aClientFromAnotherCaIsRefusedOnBothSides() throws Exception {
        TestPki other = new TestPki(dir.resolve("other"), "Other CA");
        other.issue("mallory", TestPki.Usage.CLIENT, false);
        DtlsSettings mallory = new DtlsSettings(pki.dir.resolve("ca.crt"), other.dir.resolve("mallory.crt"),
                other.dir.resolve("mallory.key"), null, List.of(), Duration.ofSeconds(5), 1, 8, Duration.ofSeconds(60), 1500);
        // Its own certificate does not chain to its CA file, so the transport will not even try...
        clientSide = Backends.transport(mallory, Backends.jca());
        TransportException local = assertThrows(TransportException.class,
                () -> clientSide.connect(server.localAddress(), null, Inbox.collecting(), WAIT));
        assertTrue(local.getMessage().contains("does not chain to the CA"), local.getMessage());

        // ...and when it tries anyway, the server refuses it.
        Credentials forced = Credentials.load(mallory.trust());
        TransportException e = assertThrows(TransportException.class, () -> DtlsClientSession.handshake(clientSide,
                forced, CryptoState.of(Backends.jca()), mallory, server.localAddress(), null, Inbox.collecting(), WAIT));
        assertTrue(e.getMessage().contains("refused this client: unknown_ca"), e.getMessage());
        String serverSays = log.await("refused client", WAIT);
        assertNotNull(serverSays);
        assertTrue(serverSays.contains("'mallory' is not issued by the configured CA 'Test CA'"), serverSays);
    }

    @Test
    void aServerFromAnotherCaIsRefusedOnBothSides() throws Exception {
        TestPki other = new TestPki(dir.resolve("other"), "Other CA");
        other.issue("bob", TestPki.Usage.CLIENT, false);
        TransportException e = assertThrows(TransportException.class,
                () -> connect(otherSettings(other, "bob"), null, Inbox.collecting()));
        assertTrue(e.getMessage().contains("refused the server"), e.getMessage());
        assertTrue(e.getMessage().contains("'server' is not issued by the configured CA 'Other CA'"), e.getMessage());
        String serverSays = log.await("refused this server", WAIT);
        assertNotNull(serverSays);
        assertTrue(serverSays.contains("unknown_ca"), serverSays);
    }

    @Test
    void anExpiredClientCertificateIsRefused() throws Exception {
        Instant now = Instant.now();
        pki.issue("old", TestPki.Usage.CLIENT, false, now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));
        DtlsSettings old = pki.settings("old");
        // Our own check stops an expired certificate before any packet; the server's check is what matters for others.
        clientSide = Backends.transport(old, Backends.jca());
        TransportException local = assertThrows(TransportException.class,
                () -> clientSide.connect(server.localAddress(), null, Inbox.collecting(), WAIT));
        assertTrue(local.getMessage().contains("expired on"), local.getMessage());

        // Forced through anyway, the server refuses it and both sides say why.
        Credentials expired = Credentials.load(old.trust());
        TransportException e = assertThrows(TransportException.class, () -> DtlsClientSession.handshake(clientSide,
                expired, CryptoState.of(Backends.jca()), old, server.localAddress(), null, Inbox.collecting(), WAIT));
        assertTrue(e.getMessage().contains("refused this client: certificate_expired"), e.getMessage());
        String serverSays = log.await("refused client", WAIT);
        assertTrue(serverSays.contains("the client's certificate 'old' expired on"), serverSays);
    }

    @Test
    void aRevokedClientIsRefusedAndItsLiveSessionEnded() throws Exception {
        X509Certificate carol = pki.issue("carol", TestPki.Usage.CLIENT, false);
        Inbox carolInbox = Inbox.collecting();
        Session s = connect(pki.settings("carol"), "vpn.example.org", carolInbox);
        byte[] p = "before".getBytes(StandardCharsets.US_ASCII);
        s.send(p, 0, p.length);
        assertArrayEquals(p, carolInbox.next(WAIT));

        pki.revoke(carol);

        String atServer = serverInbox.closedReason(WAIT);
        assertTrue(atServer.contains("'carol' (serial 0x" + carol.getSerialNumber().toString(16) + ") is revoked"), atServer);
        String atClient = carolInbox.closedReason(WAIT);
        assertTrue(atClient.contains("certificate_revoked"), atClient);
        assertTrue(server.sessions().isEmpty());

        TransportException e = assertThrows(TransportException.class,
                () -> connect(pki.settings("carol"), null, Inbox.collecting()));
        assertTrue(e.getMessage().contains("refused this client: certificate_revoked"), e.getMessage());
        // Alice is not revoked.
        connect(pki.settings("alice"), null, Inbox.collecting()).close();
    }

    @Test
    void theCommonNameIsNotConsultedWhenTheCertificateHasDnsNames() throws Exception {
        TransportException e = assertThrows(TransportException.class,
                () -> connect(pki.settings("alice"), "server", Inbox.collecting()));
        assertTrue(e.getMessage().contains("not 'server'"), e.getMessage());
    }

    @Test
    void aServerWithAnotherNameIsRefusedByTheClient() throws Exception {
        TransportException e = assertThrows(TransportException.class,
                () -> connect(pki.settings("alice"), "other.example.org", Inbox.collecting()));
        assertTrue(e.getMessage().contains("'server' is for (names vpn.example.org, 127.0.0.1), not 'other.example.org'"),
                e.getMessage());
        String serverSays = log.await("refused this server", WAIT);
        assertNotNull(serverSays);
        assertTrue(serverSays.contains("bad_certificate"), serverSays);
    }

    @Test
    void aPinnedClientAcceptsOnlyThePinnedServer() throws Exception {
        X509Certificate serverCert = Credentials.readCertificates(pki.dir.resolve("server.crt")).get(0);
        String pin = PeerCheck.fingerprint(serverCert);
        DtlsSettings alice = pki.settings("alice");
        DtlsSettings pinned = new DtlsSettings(alice.ca(), alice.cert(), alice.key(), alice.crl(), DtlsSettings.pins(pin),
                alice.handshakeTimeout(), 1, 8, alice.idleTimeout(), 1500);
        connect(pinned, null, Inbox.collecting()).close();

        DtlsSettings wrong = new DtlsSettings(alice.ca(), alice.cert(), alice.key(), alice.crl(),
                List.of(HexFormat.of().parseHex("00".repeat(32))), alice.handshakeTimeout(), 1, 8, alice.idleTimeout(), 1500);
        TransportException e = assertThrows(TransportException.class, () -> connect(wrong, null, Inbox.collecting()));
        assertTrue(e.getMessage().contains("is not one of the pins"), e.getMessage());
    }

    @Test
    void aServerCertificateCannotActAsAClient() throws Exception {
        pki.issue("impostor", TestPki.Usage.SERVER, false);
        TransportException e = assertThrows(TransportException.class,
                () -> connect(pki.settings("impostor"), null, Inbox.collecting()));
        assertTrue(e.getMessage().contains("unsupported_certificate"), e.getMessage());
        String serverSays = log.await("refused client", WAIT);
        assertTrue(serverSays.contains("not meant for a client"), serverSays);
    }

    @Test
    void withoutCertificatesTheTransportGivesAdvice() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        DtlsSettings none = new DtlsSettings(empty.resolve("ca.crt"), empty.resolve("server.crt"),
                empty.resolve("server.key"), empty.resolve("crl.pem"), List.of(), Duration.ofSeconds(5), 1, 8,
                Duration.ofSeconds(60), 1500);
        DtlsTransport bare = Backends.transport(none, Backends.jca());
        try {
            // Files never given are "not configured", which a shell answers with the steps to set up.
            TransportException e = assertThrows(NotConfiguredException.class, () -> bare.listen(LOOPBACK, Inbox.echoing()));
            assertTrue(e.getMessage().startsWith(
                    "no CA configured: run vpn:pki init or set ca in configs/org.minivpn.transport.dtls.cfg"), e.getMessage());
            e = assertThrows(NotConfiguredException.class,
                    () -> bare.connect(server.localAddress(), null, Inbox.collecting(), WAIT));
            assertTrue(e.getMessage().startsWith("no CA configured"), e.getMessage());

            // The CA arrives; the certificate is still missing.
            Files.copy(pki.dir.resolve("ca.crt"), empty.resolve("ca.crt"));
            e = assertThrows(NotConfiguredException.class, () -> bare.listen(LOOPBACK, Inbox.echoing()));
            assertTrue(e.getMessage().startsWith("no certificate for this appliance"), e.getMessage());

            // Certificate and key arrive: a server still wants the CRL it is configured with.
            Files.copy(pki.dir.resolve("server.crt"), empty.resolve("server.crt"));
            Files.copy(pki.dir.resolve("server.key"), empty.resolve("server.key"));
            e = assertThrows(TransportException.class, () -> bare.listen(LOOPBACK, Inbox.echoing()));
            assertTrue(e.getMessage().contains("crl.pem is missing"), e.getMessage());
            assertFalse(e instanceof NotConfiguredException, "a missing CRL is a server's problem, not a first start's");

            // The CRL arrives: it works without a restart.
            Files.copy(pki.dir.resolve("crl.pem"), empty.resolve("crl.pem"));
            bare.listen(LOOPBACK, Inbox.echoing()).close();
        } finally {
            bare.deactivate();
        }
    }

    @Test
    void aBrokenFileIsNotAFirstStart() throws Exception {
        Files.writeString(pki.dir.resolve("ca.crt"), "not a certificate\n");
        Credentials broken = Credentials.load(pki.settings("alice").trust());
        assertNotNull(broken.problem());
        assertFalse(broken.unconfigured(), "a broken CA file is for its owner to fix, not a missing setup");
        Files.delete(pki.dir.resolve("ca.crt"));
        assertTrue(Credentials.load(pki.settings("alice").trust()).unconfigured(), "an absent CA is a missing setup");
    }

    @Test
    void aKeyThatIsNotPkcs8IsExplained() throws Exception {
        Files.writeString(pki.dir.resolve("alice.key"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        String problem = Credentials.load(pki.settings("alice").trust()).problem();
        assertTrue(problem.contains("is not PEM PKCS#8 (BEGIN PRIVATE KEY): convert it with openssl pkcs8"), problem);
        pki.issue("bob", TestPki.Usage.CLIENT, false);
        Files.copy(pki.dir.resolve("bob.key"), pki.dir.resolve("alice.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        problem = Credentials.load(pki.settings("alice").trust()).problem();
        assertTrue(problem.contains("does not belong to the certificate 'alice'"), problem);
    }

    private static DtlsSettings otherSettings(TestPki other, String name) {
        return new DtlsSettings(other.dir.resolve("ca.crt"), other.dir.resolve(name + ".crt"), other.dir.resolve(name + ".key"),
                null, List.of(), Duration.ofSeconds(5), 1, 8, Duration.ofSeconds(60), 1500);
    }
}

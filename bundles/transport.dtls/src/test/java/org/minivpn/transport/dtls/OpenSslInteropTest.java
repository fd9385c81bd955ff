package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.testsupport.Needs;

/**
 * Interop with a peer no one here wrote: OpenSSL's s_server accepts our client (mutual
 * certificates, data echoed back) and OpenSSL's s_client completes a handshake and exchanges data
 * with our server, for each AEAD cipher and both crypto backends. (ChaCha20-Poly1305 comes with
 * the Bouncy Castle backend only: Bouncy Castle's JCA glue asks for cipher names the JDK lacks.)
 */
class OpenSslInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private TestPki pki;
    private DtlsTransport ours;

    @BeforeAll
    static void needsOpenSsl() {
        Needs.programs("openssl");
    }

    @BeforeEach
    void pki() throws Exception {
        pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
    }

    @AfterEach
    void stop() {
        if (ours != null) {
            ours.deactivate();
        }
    }

    @ParameterizedTest(name = "{0} with the {1} backend")
    @CsvSource({
        "ECDHE-ECDSA-AES128-GCM-SHA256, jca, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384, jca, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256, bc, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305, bc, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    })
    void openSslServerAcceptsOurClient(String cipher, String backend, String suite) throws Exception {
        int port = OpenSsl.freeUdpPort();
        try (OpenSsl server = new OpenSsl(List.of("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port,
                "-cert", file("server.crt"), "-key", file("server.key"), "-CAfile", file("ca.crt"),
                "-Verify", "1", "-verify_return_error", "-cipher", cipher, "-naccept", "1"))) {
            server.await("ACCEPT", WAIT);
            ours = Backends.transport(pki.settings("alice"), Backends.byName(backend));
            Inbox inbox = Inbox.collecting();
            Session session = ours.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "localhost",
                    inbox, WAIT);
            assertEquals("server", session.peerIdentity());
            assertEquals(suite, session.cipherSuite());
            for (int i = 0; i < 3; i++) {
                byte[] line = ("ping " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                session.send(line, 0, line.length);
                String received = server.await("ping " + i, WAIT);   // openssl decrypted our record
                server.type(received.strip() + "\n");                 // and sends it back
                assertArrayEquals(line, inbox.next(WAIT), "the echo, opened by our record layer");
            }
            session.close();
            server.await("shutting down SSL", WAIT);                  // it read our close_notify
        }
    }

    @ParameterizedTest(name = "{0} with the {1} backend")
    @CsvSource({
        "ECDHE-ECDSA-AES128-GCM-SHA256, jca",
        "ECDHE-ECDSA-AES256-GCM-SHA384, jca",
        "ECDHE-ECDSA-AES128-GCM-SHA256, bc",
        "ECDHE-ECDSA-CHACHA20-POLY1305, bc",
    })
    void openSslClientTalksToOurServer(String cipher, String backend) throws Exception {
        ours = Backends.transport(pki.settings("server"), Backends.byName(backend));
        Inbox serverInbox = Inbox.echoing();
        try (TransportServer server = ours.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                OpenSsl client = new OpenSsl(List.of("s_client", "-dtls1_2", "-connect",
                        "127.0.0.1:" + server.localAddress().getPort(), "-cert", file("alice.crt"), "-key", file("alice.key"),
                        "-CAfile", file("ca.crt"), "-verify_return_error", "-verify_hostname", "localhost",
                        "-cipher", cipher))) {
            client.await("Verification: OK", WAIT);
            client.await("Cipher is " + cipher, WAIT);
            Session atServer = serverInbox.openedSession(WAIT);
            assertEquals("alice", atServer.peerIdentity());
            client.await("---", WAIT);
            for (int i = 0; i < 3; i++) {
                client.type("hello from openssl " + i + "\n");
                client.await("hello from openssl " + i, WAIT);       // our server's echo, opened by openssl
            }
            client.endInput();                                        // s_client sends close_notify and quits
            assertEquals("the client closed the session", serverInbox.closedReason(WAIT));
            assertTrue(client.exited(WAIT), "s_client exited");
            assertEquals(0, ((DtlsServer) server).drops.badInput(), server.toString());
        }
    }

    private String file(String name) {
        return pki.dir.resolve(name).toString();
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;

/**
 * A server's revocation fails closed: a CRL that disappears or runs past its next update refuses
 * new clients and says why, instead of letting a revoked certificate back in; an empty crl setting
 * runs without revocation; a client only warns.
 */
class RevocationFailsClosedTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    Path dir;

    private TestPki pki;
    private LogCapture log;
    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @BeforeEach
    void pki() throws Exception {
        log = new LogCapture();
        pki = new TestPki(dir.resolve("pki"), "Revocation CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
    }

    @AfterEach
    void stop() {
        for (DtlsTransport t : new DtlsTransport[] {serverSide, clientSide}) {
            if (t != null) {
                t.deactivate();
            }
        }
        log.close();
    }

    @Test
    void aCrlThatDisappearsRefusesNewClientsAndSaysWhy() throws Exception {
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        TransportServer server = serverSide.listen(LOOPBACK, Inbox.echoing());
        connect(server, Duration.ofSeconds(5)).close();

        Files.delete(pki.dir.resolve("crl.pem"));
        String refusal = null;
        for (long end = System.nanoTime() + WAIT.toNanos(); refusal == null && System.nanoTime() < end; ) {
            assertThrows(IOException.class, () -> connect(server, Duration.ofSeconds(2)));
            refusal = log.await("refusing new clients: the CRL", Duration.ofMillis(200));
        }
        assertNotNull(refusal, "the server says why it refuses");
        assertTrue(refusal.contains("is missing") && refusal.contains("vpn:pki crl"), refusal);

        pki.writeCrl(); // back in place: clients are admitted again
        Session again = null;
        for (long end = System.nanoTime() + WAIT.toNanos(); again == null && System.nanoTime() < end; ) {
            try {
                again = connect(server, Duration.ofSeconds(2));
            } catch (IOException e) {
                // the transport re-reads the files once a second
            }
        }
        assertNotNull(again, "admitted again once the CRL is back");
        again.close();
        server.close();
    }

    @Test
    void aServerDoesNotStartWithAMissingOrExpiredCrl() throws Exception {
        Files.delete(pki.dir.resolve("crl.pem"));
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        TransportException missing = assertThrows(TransportException.class, () -> serverSide.listen(LOOPBACK, Inbox.echoing()));
        assertTrue(missing.getMessage().contains("is missing") && missing.getMessage().contains("crl = (empty)"),
                missing.getMessage());
        serverSide.deactivate();

        pki.writeCrl(Instant.now().minusSeconds(60));
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        TransportException expired = assertThrows(TransportException.class, () -> serverSide.listen(LOOPBACK, Inbox.echoing()));
        assertTrue(expired.getMessage().contains("expired on") && expired.getMessage().contains("vpn:pki crl"),
                expired.getMessage());
    }

    @Test
    void anEmptyCrlSettingRunsWithoutRevocationAndAClientOnlyWarns() throws Exception {
        DtlsSettings s = pki.settings("server");
        DtlsSettings noCrl = new DtlsSettings(s.ca(), s.cert(), s.key(), null, List.of(), s.handshakeTimeout(),
                s.handshakeThreads(), s.maxHandshakes(), s.idleTimeout(), s.maxPacketSize());
        serverSide = Backends.transport(noCrl, Backends.jca());
        TransportServer server = serverSide.listen(LOOPBACK, Inbox.echoing());

        pki.writeCrl(Instant.now().minusSeconds(60)); // the client's copy expired: it still connects
        Session s1 = connect(server, Duration.ofSeconds(5));
        assertEquals("server", s1.peerIdentity());
        s1.close();
        server.close();
    }

    private Session connect(TransportServer server, Duration timeout) throws Exception {
        if (clientSide != null) {
            clientSide.deactivate();
        }
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        return clientSide.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.localAddress().getPort()),
                "127.0.0.1", Inbox.collecting(), timeout);
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.bouncycastle.tls.AbstractTlsPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/**
 * Handshakes through a link that drops 30 % of the datagrams each way. Without packed flights a
 * Bouncy Castle server hangs whenever a change cipher spec overtakes a lost certificate verify, and
 * half of such handshakes failed; with them each must complete.
 */
class HandshakeUnderLossTest {

    @TempDir
    Path pkiDir;

    @Test
    void theRetransmissionTimerStartsAtOneSecondAsRfc6347Says() {
        assertEquals(1000, ClientPeer.INITIAL_RESEND_MILLIS);
        assertTrue(ClientHandshakeChannel.RESEND_CAP_MILLIS <= 2000, "a flight waits at most 2 s to be sent again");
        assertTrue(AbstractTlsPeer.class.isAssignableFrom(ClientPeer.class));
    }

    @Test
    void theServerPacksItsFlights() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsTransport serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Inbox.echoing()); LossyLink link = new LossyLink(server.localAddress(), 0, 1)) {
            clientSide.connect(link.address(), "localhost", Inbox.collecting(), Duration.ofSeconds(10)).close();
            // hello verify request; server hello, certificate, key exchange, certificate request and hello done
            // (8 records one by one); change cipher spec and finished
            assertTrue(link.fromServer.get() <= 4, link.fromServer.get() + " datagrams from the server, 1 + 1 or 2 + 1 expected");
        } finally {
            clientSide.deactivate();
            serverSide.deactivate();
        }
    }

    @Test
    void handshakesCompleteAtThirtyPercentLossEachWay() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsSettings d = pki.settings("server");
        // The server's handshake timeout is not what is tested here: give it room.
        DtlsSettings patient = new DtlsSettings(d.ca(), d.cert(), d.key(), d.crl(), d.pins(), Duration.ofSeconds(30),
                d.handshakeThreads(), d.maxHandshakes(), d.idleTimeout(), d.maxPacketSize());
        DtlsTransport serverSide = Backends.transport(patient, Backends.jca());
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Inbox.echoing())) {
            for (long seed = 1; seed <= 4; seed++) {
                try (LossyLink link = new LossyLink(server.localAddress(), 0.3, seed)) {
                    long start = System.nanoTime();
                    Session s = clientSide.connect(link.address(), "localhost", Inbox.collecting(), Duration.ofSeconds(30));
                    long took = (System.nanoTime() - start) / 1_000_000;
                    System.out.println("handshake " + seed + " at 30 % loss: " + took + " ms, " + link.dropped.get()
                            + " of " + (link.dropped.get() + link.passed.get()) + " datagrams dropped");
                    s.close();
                }
            }
        } finally {
            clientSide.deactivate();
            serverSide.deactivate();
        }
    }
}

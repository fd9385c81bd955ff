package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/** A client behind a NAT that changes its outside port keeps its session: RFC 9146 connection IDs. */
class RoamingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
    }

    @AfterEach
    void stop() {
        clientSide.deactivate();
        serverSide.deactivate();
    }

    @Test
    void addressChangeKeepsTheSession() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        Inbox clientInbox = Inbox.collecting();
        try (LogCapture log = new LogCapture();
                TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                UdpProxy nat = new UdpProxy(server.localAddress())) {
            Session client = clientSide.connect(nat.address(), "localhost", clientInbox, WAIT);
            Session atServer = serverInbox.openedSession(WAIT);
            exchange(client, clientInbox, "before");
            int before = nat.outsidePort();
            assertEquals(before, atServer.remoteAddress().getPort());

            nat.rebind();
            assertNotEquals(before, nat.outsidePort());
            // The server answers to the old address until the new one answered its path challenge
            // (one round trip): the tunnel is back within 2 s of the first packet from there.
            long first = System.nanoTime();
            byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
            byte[] back = null;
            while (back == null && System.nanoTime() - first < TimeUnit.SECONDS.toNanos(2)) {
                client.send(probe, 0, probe.length);
                back = clientInbox.packets.poll(50, TimeUnit.MILLISECONDS);
            }
            assertNotNull(back, "an answer within 2 s of the first packet from the new address");
            while (clientInbox.packets.poll(200, TimeUnit.MILLISECONDS) != null) {
                // echoes of earlier probes
            }
            exchange(client, clientInbox, "after");

            assertEquals(nat.outsidePort(), atServer.remoteAddress().getPort(), "the server follows the new address");
            assertEquals(1, server.sessions().size());
            assertSame(atServer, server.sessions().get(0), "the same session, no new handshake");
            assertEquals(1, ((DtlsServer) server).drops.handshakes);
            assertNotNull(log.await("moved from", WAIT));
            assertTrue(serverInbox.closed.isEmpty());
            client.close();
        }
    }

    private static void exchange(Session client, Inbox inbox, String tag) throws Exception {
        for (int i = 0; i < 5; i++) {
            byte[] p = (tag + " " + i).getBytes(StandardCharsets.US_ASCII);
            client.send(p, 0, p.length);
            assertArrayEquals(p, inbox.next(WAIT), tag + " " + i);
        }
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.minivpn.testsupport.Needs;
import org.minivpn.testsupport.TestNetns;

/**
 * The issue's case: a client in a full tunnel routed as wg-quick does moves to a new address on
 * its link, and its DTLS session goes on without a new handshake. In namespaces this test makes:
 * <pre>
 *  mvdt-mc-* (client)                              mvdt-ms-* (gateway and server)
 *    up0 198.18.30.2/24, later 198.18.32.7/24 --veth-- up0 198.18.30.1/24, 198.18.32.1/24
 *    default via the gateway                       lo 198.18.31.1: the DTLS server
 *    mvtun0: a TUN nobody reads
 *    unmarked packets into mvtun0 (table 51821), mark 0x6d76 by the main table
 * </pre>
 */
class ClientMovesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private TestNetns client;
    private TestNetns server;
    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @BeforeEach
    void start() throws Exception {
        Needs.root("ip", "/dev/net/tun");
        client = TestNetns.create("mvdt", "mc");
        server = TestNetns.create("mvdt", "ms");
        client.ip("link", "add", "up0", "type", "veth", "peer", "name", "up0", "netns", server.name);
        client.ip("link", "set", "up0", "up");
        server.ip("link", "set", "up0", "up");
        client.ip("addr", "add", "198.18.30.2/24", "dev", "up0");
        server.ip("addr", "add", "198.18.30.1/24", "dev", "up0");
        server.ip("addr", "add", "198.18.32.1/24", "dev", "up0");
        server.ip("addr", "add", "198.18.31.1/32", "dev", "lo");
        client.ip("route", "add", "default", "via", "198.18.30.1");
        TestNetns.run("ip", "netns", "exec", client.name, "ip", "tuntap", "add", "dev", "mvtun0", "mode", "tun");
        client.ip("link", "set", "mvtun0", "up");
        client.ip("route", "add", "default", "dev", "mvtun0", "table", "51821");
        client.ip("rule", "add", "not", "fwmark", "0x6d76", "table", "51821");
        client.ip("rule", "add", "table", "main", "suppress_prefixlength", "0");

        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        clientSide.clientSocketMark(0x6d76);
    }

    @AfterEach
    void stop() {
        if (clientSide != null) {
            clientSide.deactivate();
            serverSide.deactivate();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theSessionGoesOnFromTheNewAddressWithoutANewHandshake() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        Inbox clientInbox = Inbox.collecting();
        try (LogCapture log = new LogCapture(); TransportServer listening = server.call(() -> serverSide.listen(
                new InetSocketAddress(InetAddress.getByName("198.18.31.1"), 0), serverInbox))) {
            Session session = client.call(() -> clientSide.connect(listening.localAddress(), "localhost", clientInbox, WAIT));
            Session atServer = serverInbox.openedSession(WAIT);
            exchange(session, clientInbox, "before");
            assertEquals(InetAddress.getByName("198.18.30.2"), atServer.remoteAddress().getAddress());

            client.ip("addr", "del", "198.18.30.2/24", "dev", "up0");
            client.ip("addr", "add", "198.18.32.7/24", "dev", "up0");
            client.ip("route", "replace", "default", "via", "198.18.32.1");
            // The server answers at the old address until the new one answered its path challenge
            // (draft-ietf-tls-dtls-rrc): the tunnel is back within 2 s of the first packet from there.
            byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
            byte[] back = null;
            for (long first = System.nanoTime(); back == null && System.nanoTime() - first < 2_000_000_000L; ) {
                session.send(probe, 0, probe.length);
                back = clientInbox.packets.poll(50, TimeUnit.MILLISECONDS);
            }
            assertNotNull(back, "an answer within 2 s of the first packet from the new address");
            while (clientInbox.packets.poll(200, TimeUnit.MILLISECONDS) != null) {
                // echoes of the other probes
            }
            exchange(session, clientInbox, "after");

            assertEquals(InetAddress.getByName("198.18.32.7"), atServer.remoteAddress().getAddress(),
                    "the server follows the client to its new address");
            assertEquals(1, listening.sessions().size());
            assertSame(atServer, listening.sessions().get(0), "the same session");
            assertEquals(1, ((DtlsServer) listening).drops.handshakes, "no new handshake");
            assertTrue(log.await("now sends from", WAIT) != null, "the client said where it sends from now");
            session.close();
        }
    }

    private static void exchange(Session session, Inbox inbox, String tag) throws Exception {
        for (int i = 0; i < 5; i++) {
            byte[] p = (tag + " " + i).getBytes(StandardCharsets.US_ASCII);
            session.send(p, 0, p.length);
            assertArrayEquals(p, inbox.next(WAIT), tag + " " + i);
        }
    }
}

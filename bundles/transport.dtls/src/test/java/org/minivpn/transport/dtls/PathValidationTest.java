package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/**
 * A client with its own valid certificate that writes another host's address as the source of its
 * records can neither move nor end another client's session, nor point its own download at a host
 * that does not answer the return-routability check (RFC 9146 6, draft-ietf-tls-dtls-rrc).
 */
class PathValidationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private DtlsTransport serverSide;
    private DtlsTransport aliceSide;
    private DtlsTransport bobSide;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        pki.issue("bob", TestPki.Usage.CLIENT, false);
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        aliceSide = Backends.transport(pki.settings("alice"), Backends.jca());
        bobSide = Backends.transport(pki.settings("bob"), Backends.jca());
    }

    @AfterEach
    void stop() {
        aliceSide.deactivate();
        bobSide.deactivate();
        serverSide.deactivate();
    }

    @Test
    void aChallengeIsRateLimitedBoundToItsAddressAndCookieAndUsedOnce() {
        PathValidation path = new PathValidation();
        InetSocketAddress a = new InetSocketAddress("198.18.0.1", 1000);
        InetSocketAddress b = new InetSocketAddress("198.18.0.2", 1000);
        byte[] m = path.challenge(a, 0);
        assertNotNull(m);
        assertTrue(PathValidation.isChallenge(m, m.length));
        assertNull(path.challenge(b, PathValidation.INTERVAL_NANOS - 1), "no second challenge within the interval");
        byte[] response = m.clone();
        response[0] = PathValidation.PATH_RESPONSE;
        assertFalse(path.validates(b, response, response.length, 1), "from another address");
        byte[] wrong = response.clone();
        wrong[8] ^= 1;
        assertFalse(path.validates(a, wrong, wrong.length, 1), "with another cookie");
        assertFalse(path.validates(a, response, response.length, PathValidation.LIFETIME_NANOS + 1), "too late");
        assertTrue(path.validates(a, response, response.length, 2));
        assertFalse(path.validates(a, response, response.length, 3), "used once");
    }

    @Test
    void recordsFromAnotherClientsAddressMoveAndEndNothing() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                UdpProxy aliceNat = new UdpProxy(server.localAddress());
                UdpProxy bobNat = new UdpProxy(server.localAddress())) {
            Inbox aliceInbox = Inbox.collecting();
            Inbox bobInbox = Inbox.collecting();
            Session alice = aliceSide.connect(aliceNat.address(), "localhost", aliceInbox, WAIT);
            Session atServerAlice = serverInbox.openedSession(WAIT);
            Session bob = bobSide.connect(bobNat.address(), "localhost", bobInbox, WAIT);
            Session atServerBob = serverInbox.openedSession(WAIT);
            exchange(alice, aliceInbox, "alice before");
            InetSocketAddress aliceAddress = atServerAlice.remoteAddress();
            InetSocketAddress bobAddress = atServerBob.remoteAddress();

            // Bob's fresh records reach the server only from Alice's address and port.
            int recorded = bobNat.toServer.size();
            bobNat.dropToServer = d -> true;
            for (int i = 0; i < 20; i++) {
                byte[] p = ("bob " + i).getBytes(StandardCharsets.US_ASCII);
                bob.send(p, 0, p.length);
            }
            Thread.sleep(200);
            for (byte[] d : new ArrayList<>(bobNat.toServer.subList(recorded, bobNat.toServer.size()))) {
                aliceNat.inject(d);
            }
            bobNat.dropToServer = d -> false;

            assertNotNull(bobInbox.next(WAIT), "bob's data is delivered and answered at his own address");
            Thread.sleep(500);
            assertEquals(aliceAddress, atServerAlice.remoteAddress(), "alice's session stays where it is");
            assertEquals(bobAddress, atServerBob.remoteAddress(), "bob's session did not follow a path it cannot answer on");
            assertTrue(serverInbox.closed.isEmpty(), "no session ended: " + serverInbox.closed);
            assertEquals(2, server.sessions().size());
            exchange(alice, aliceInbox, "alice after");
            alice.close();
            bob.close();
        }
    }

    @Test
    void aDownloadCannotBePointedAtAThirdHost() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                UdpProxy bobNat = new UdpProxy(server.localAddress());
                DatagramSocket victim = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Inbox bobInbox = Inbox.collecting();
            Session bob = bobSide.connect(bobNat.address(), "localhost", bobInbox, WAIT);
            Session atServer = serverInbox.openedSession(WAIT);
            InetSocketAddress bobAddress = atServer.remoteAddress();
            int recorded = bobNat.toServer.size();
            bobNat.dropToServer = d -> true;
            byte[] big = new byte[1200];
            for (int i = 0; i < 40; i++) {
                big[0] = (byte) i;
                bob.send(big, 0, big.length);
            }
            Thread.sleep(200);
            List<byte[]> records = new ArrayList<>(bobNat.toServer.subList(recorded, bobNat.toServer.size()));
            for (byte[] d : records) { // the victim's address as their source
                victim.send(new DatagramPacket(d, d.length, server.localAddress()));
                Thread.sleep(10);
            }
            int received = 0;
            int bytes = 0;
            victim.setSoTimeout(300);
            byte[] buf = new byte[2048];
            for (long end = System.nanoTime() + 1_000_000_000L; System.nanoTime() < end; ) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    victim.receive(p);
                    received++;
                    bytes += p.getLength();
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
            assertTrue(received <= 3 && bytes <= 3 * 64, "the third host got only path challenges: " + received
                    + " datagrams, " + bytes + " bytes");
            assertEquals(bobAddress, atServer.remoteAddress());
            assertTrue(((DtlsServer) server).drops.pathChallenges >= 1, "the third host was challenged");
            bobNat.dropToServer = d -> false;
            bob.close();
        }
    }

    @Test
    void aCheckedMoveOntoAnotherSessionsAddressDoesNotEndThatSession() throws Exception {
        Inbox serverInbox = Inbox.echoing();
        try (LogCapture log = new LogCapture();
                TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverInbox);
                UdpProxy aliceNat = new UdpProxy(server.localAddress());
                UdpProxy bobNat = new UdpProxy(server.localAddress())) {
            Inbox aliceInbox = Inbox.collecting();
            Inbox bobInbox = Inbox.collecting();
            Session alice = aliceSide.connect(aliceNat.address(), "localhost", aliceInbox, WAIT);
            Session atServerAlice = serverInbox.openedSession(WAIT);
            Session bob = bobSide.connect(bobNat.address(), "localhost", bobInbox, WAIT);
            Session atServerBob = serverInbox.openedSession(WAIT);
            exchange(alice, aliceInbox, "alice");
            InetSocketAddress aliceAddress = atServerAlice.remoteAddress();

            // Alice falls silent and her NAT gives her outside port to bob: he really receives there.
            aliceNat.deliverVia = bobNat;
            bobNat.sendFrom = aliceNat.outside();
            byte[] probe = "bob on alice's old port".getBytes(StandardCharsets.US_ASCII);
            byte[] echo = null;
            for (int i = 0; i < 40 && echo == null; i++) {
                bob.send(probe, 0, probe.length);
                echo = bobInbox.packets.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            assertArrayEquals(probe, echo);
            RobustnessTest.waitFor(() -> aliceAddress.equals(atServerBob.remoteAddress()), "bob moved: " + server);
            assertTrue(atServerAlice.isOpen(), "alice's session is not ended by bob's move");
            assertEquals(2, server.sessions().size());
            assertTrue(serverInbox.closed.isEmpty(), "no session ended: " + serverInbox.closed);
            assertNotNull(log.await("no longer receives by address", WAIT));
            alice.close();
            bob.close();
        }
    }

    private static void exchange(Session client, Inbox inbox, String tag) throws Exception {
        for (int i = 0; i < 3; i++) {
            byte[] p = (tag + " " + i).getBytes(StandardCharsets.US_ASCII);
            client.send(p, 0, p.length);
            assertArrayEquals(p, inbox.next(WAIT), tag + " " + i);
        }
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/** A server listening on {@code ::} serves IPv4 and IPv6 clients on one socket; 0.0.0.0 serves IPv4 only. */
class DualStackTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path pkiDir;

    private DtlsTransport serverSide;
    private DtlsTransport clientSide;

    @AfterEach
    void stop() {
        if (clientSide != null) {
            clientSide.deactivate();
        }
        if (serverSide != null) {
            serverSide.deactivate();
        }
    }

    private static boolean ipv6Loopback() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void transports() throws Exception {
        TestPki pki = new TestPki(pkiDir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1", "::1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        serverSide = Backends.transport(pki.settings("server"), Backends.jca());
        clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
    }

    @Test
    void theWildcardServesBothFamiliesOnOneSocket() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
        transports();
        Inbox serverInbox = Inbox.echoing();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getByName("::"), 0), serverInbox)) {
            int port = server.localAddress().getPort();
            Session v4 = clientSide.connect(new InetSocketAddress("127.0.0.1", port), "127.0.0.1", Inbox.collecting(), WAIT);
            Session atServer4 = serverInbox.openedSession(WAIT);
            assertInstanceOf(Inet4Address.class, atServer4.remoteAddress().getAddress(),
                    "an IPv4 client is seen by its IPv4 address, not an IPv4-mapped one: " + atServer4.remoteAddress());
            Session v6 = clientSide.connect(new InetSocketAddress("::1", port), "::1", Inbox.collecting(), WAIT);
            Session atServer6 = serverInbox.openedSession(WAIT);
            assertInstanceOf(Inet6Address.class, atServer6.remoteAddress().getAddress());
            assertEquals(2, server.sessions().size());
            v4.close();
            v6.close();
        }
    }

    @Test
    void anExplicitIpv4WildcardServesIpv4Only() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
        transports();
        try (TransportServer server = serverSide.listen(new InetSocketAddress("0.0.0.0", 0), Inbox.echoing())) {
            int port = server.localAddress().getPort();
            clientSide.connect(new InetSocketAddress("127.0.0.1", port), "127.0.0.1", Inbox.collecting(), WAIT).close();
            assertThrows(PortUnreachableException.class, () -> clientSide.connect(new InetSocketAddress("::1", port),
                    "::1", Inbox.collecting(), Duration.ofSeconds(3)));
        }
    }
}

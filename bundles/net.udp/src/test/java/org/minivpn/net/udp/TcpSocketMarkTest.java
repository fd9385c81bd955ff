package org.minivpn.net.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.testsupport.Needs;
import org.minivpn.testsupport.TestNetns;

/**
 * The TLS transport's TCP socket under the route configurator's policy routing, in namespaces this
 * test makes: marked through {@link SocketMark}, it reaches the server by the main table; unmarked,
 * its SYN goes into the tunnel (a TUN nobody reads) and the connect times out, the loop the mark
 * prevents.
 * <pre>
 *  mvb-cl-* (client)                               mvb-sv-* (gateway and server)
 *    up0 198.18.34.2/24 -----------veth----------- up0 198.18.34.1/24
 *    default via 198.18.34.1                       lo 198.18.35.1: the server, TCP 1194
 *    mvtun0: a TUN nobody reads
 *    policy routing as wg-quick's: unmarked packets into mvtun0, mark 0x6d76 by the main table
 * </pre>
 */
class TcpSocketMarkTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress(address("198.18.35.1"), 1194);
    private static final int MARK = 0x6d76;
    private static final System.Logger LOG = System.getLogger("org.minivpn.net.udp.test");

    private TestNetns client;
    private TestNetns server;
    private ServerSocket listener;

    @BeforeEach
    void topology() throws Exception {
        Needs.root("ip");
        client = TestNetns.create("mvb", "cl");
        server = TestNetns.create("mvb", "sv");
        client.ip("link", "add", "up0", "type", "veth", "peer", "name", "up0", "netns", server.name);
        client.ip("link", "set", "up0", "up");
        server.ip("link", "set", "up0", "up");
        client.ip("addr", "add", "198.18.34.2/24", "dev", "up0");
        server.ip("addr", "add", "198.18.34.1/24", "dev", "up0");
        server.ip("addr", "add", "198.18.35.1/32", "dev", "lo");
        client.ip("route", "add", "default", "via", "198.18.34.1");
        TestNetns.run("ip", "netns", "exec", client.name, "ip", "tuntap", "add", "dev", "mvtun0", "mode", "tun");
        client.ip("link", "set", "mvtun0", "up");
        client.ip("route", "add", "default", "dev", "mvtun0", "table", "51821");
        client.ip("rule", "add", "not", "fwmark", "0x6d76", "table", "51821");
        client.ip("rule", "add", "table", "main", "suppress_prefixlength", "0");
        listener = server.call(() -> {
            ServerSocket s = new ServerSocket();
            s.bind(SERVER);
            s.setSoTimeout(3000);
            return s;
        });
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (listener != null) {
            listener.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aMarkedTcpSocketReachesTheServerByTheUnderlay() throws Exception {
        try (SocketChannel marked = client.call(() -> {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET);
            assertTrue(SocketMark.apply(c, MARK, LOG), "the mark is set (root)");
            c.socket().connect(SERVER, 3000);
            return c;
        }); Socket accepted = listener.accept()) {
            assertEquals(address("198.18.34.2"), ((InetSocketAddress) marked.getLocalAddress()).getAddress(),
                    "from the underlay's address");
            assertEquals(marked.getLocalAddress(), accepted.getRemoteSocketAddress());
        }
    }

    @Test
    void anUnmarkedTcpSocketIsRoutedIntoTheTunnelAndNeverArrives() throws Exception {
        // opened inside the client's namespace: a socket belongs to the namespace it was made in
        try (SocketChannel plain = client.call(() -> SocketChannel.open(StandardProtocolFamily.INET))) {
            assertTrue(SocketMark.apply(plain, 0, LOG), "mark 0 leaves the socket alone");
            assertThrows(SocketTimeoutException.class, () -> client.call(() -> {
                plain.socket().connect(SERVER, 1500);
                return null;
            }));
            listener.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, listener::accept, "nothing reached the server");
        }
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

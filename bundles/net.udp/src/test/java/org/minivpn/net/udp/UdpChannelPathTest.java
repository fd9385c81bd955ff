package org.minivpn.net.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.testsupport.Needs;
import org.minivpn.testsupport.TestNetns;

/**
 * The client socket under a changing network, in namespaces this test makes:
 * <pre>
 *  mvnu-cl-* (client)                              mvnu-sv-* (gateway and server)
 *    up0 198.18.30.2/24 -----------veth----------- up0 198.18.30.1/24, 198.18.32.1/24
 *    default via 198.18.30.1                       lo 198.18.31.1: the server, UDP 1194
 *    mvtun0: a TUN nobody reads
 *    policy routing as wg-quick's: unmarked packets into mvtun0, mark 0x6d76 by the main table
 * </pre>
 */
class UdpChannelPathTest {

    private static final InetSocketAddress SERVER = new InetSocketAddress(address("198.18.31.1"), 1194);
    private static final int MARK = 0x6d76;
    private static final System.Logger LOG = System.getLogger("org.minivpn.net.udp.test");

    private TestNetns client;
    private TestNetns server;
    private DatagramSocket receiver;

    @BeforeEach
    void topology() throws Exception {
        Needs.root("ip", "/dev/net/tun");
        client = TestNetns.create("mvnu", "cl");
        server = TestNetns.create("mvnu", "sv");
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
        receiver = server.call(() -> {
            DatagramSocket d = new DatagramSocket(SERVER);
            d.setSoTimeout(3000);
            return d;
        });
    }

    @AfterEach
    void cleanUp() {
        if (receiver != null) {
            receiver.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aMarkedSocketReachesTheServerByTheMainTableAndAnUnmarkedOneDoesNot() throws Exception {
        try (UdpChannel marked = client.call(() -> UdpChannel.connect(SERVER, MARK, LOG));
                UdpChannel unmarked = client.call(() -> UdpChannel.connect(SERVER, 0, LOG))) {
            assertEquals(address("198.18.30.2"), marked.localAddress().getAddress(), "the underlay's address");
            send(unmarked, "unmarked");
            send(marked, "marked");
            assertEquals("marked", receive().text, "only the marked datagram leaves by the underlay");
        }
    }

    @Test
    void aClientSocketIsMarkedOnlyWhileMarking() throws Exception {
        try (UdpChannel marked = client.call(() -> UdpChannel.marking(MARK, () -> UdpChannel.connect(SERVER, LOG)));
                UdpChannel plain = client.call(() -> UdpChannel.connect(SERVER, LOG))) {
            send(plain, "plain");
            send(marked, "marked");
            assertEquals("marked", receive().text);
        }
    }

    @Test
    void afterTheClientsAddressMovesTheSocketSendsFromTheNewOneOnTheSamePort() throws Exception {
        try (LogCapture log = new LogCapture(LOG.getName()); UdpChannel udp = client.call(() -> UdpChannel.connect(SERVER, MARK, LOG))) {
            send(udp, "before");
            Received first = receive();
            assertEquals("before", first.text);
            assertEquals(address("198.18.30.2"), first.from.getAddress());

            // A new lease on another subnet of the link: the old address and the routes through it go.
            client.ip("addr", "del", "198.18.30.2/24", "dev", "up0");
            client.ip("addr", "add", "198.18.32.7/24", "dev", "up0");
            client.ip("route", "replace", "default", "via", "198.18.32.1");

            send(udp, "after");
            Received second = receive();
            assertEquals("after", second.text, "the session's socket goes on, without a new one");
            assertEquals(address("198.18.32.7"), second.from.getAddress(), "from the new address");
            assertEquals(first.from.getPort(), second.from.getPort(), "on the same port");
            assertNotNull(log.await("now sends from", Duration.ofSeconds(5)));

            ByteBuffer in = ByteBuffer.allocate(64);
            server.call(() -> {
                receiver.send(new DatagramPacket(new byte[] {7}, 1, second.from));
                return null;
            });
            assertEquals(1, udp.read(in, 3000), "and hears the server at the new address");
        }
    }

    @Test
    void withNoRouteAtAllASendFailsWithAClearErrorAndTheSocketRecoversOnceThereIsOne() throws Exception {
        try (UdpChannel udp = client.call(() -> UdpChannel.connect(SERVER, MARK, LOG))) {
            client.ip("addr", "del", "198.18.30.2/24", "dev", "up0");
            IOException e = assertThrows(IOException.class, () -> udp.send(ByteBuffer.wrap(new byte[] {1}), null));
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), String.valueOf(e));
            assertEquals(-1, udp.read(ByteBuffer.allocate(64), 100), "reading while unconnected waits and says none came");

            client.ip("addr", "add", "198.18.30.9/24", "dev", "up0");
            client.ip("route", "replace", "default", "via", "198.18.30.1");
            Thread.sleep(300); // past the re-connect's rate limit
            send(udp, "back");
            Received r = receive();
            assertEquals("back", r.text);
            assertEquals(address("198.18.30.9"), r.from.getAddress());
        }
    }

    private record Received(String text, InetSocketAddress from) {
    }

    private static void send(UdpChannel udp, String text) throws IOException {
        try {
            udp.send(ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), null);
        } catch (IOException e) {
            throw new IOException("sending '" + text + "': " + e.getMessage(), e);
        }
    }

    private Received receive() throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        try {
            receiver.receive(p);
        } catch (SocketTimeoutException e) {
            return new Received("(nothing within 3 s)", null);
        }
        return new Received(new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.US_ASCII),
                (InetSocketAddress) p.getSocketAddress());
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.minivpn.net.udp.UdpChannel;

/** How the client handshake channel packs flights and sends them again while no answer comes. */
class ClientHandshakeChannelTest {

    private static byte[] record(int length, int mark) {
        byte[] r = new byte[length];
        r[0] = 22;
        r[length - 1] = (byte) mark;
        return r;
    }

    private static byte[] take(DatagramSocket s, int timeoutMillis) throws Exception {
        s.setSoTimeout(timeoutMillis);
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(buf, p.getLength());
    }

    @Test
    void aFlightLeavesPackedFromItsEndWhenTheAnswerIsAwaited() throws Exception {
        try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                UdpChannel udp = UdpChannel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), DtlsTransport.LOG)) {
            ClientHandshakeChannel c = new ClientHandshakeChannel(udp, 10_000, 60_000);
            byte[][] flight = {record(1000, 1), record(300, 2), record(100, 3), record(14, 4), record(70, 5)};
            for (byte[] r : flight) {
                c.send(r, 0, r.length);
            }
            assertEquals(null, take(server, 200), "nothing leaves before Bouncy Castle waits for the answer");
            assertEquals(-1, c.receive(new byte[2048], 0, 2048, 300));
            byte[] first = take(server, 1000);
            byte[] second = take(server, 1000);
            assertArrayEquals(flight[0], first, "what does not fit with the rest goes alone, first");
            assertEquals(484, second.length, "certificate verify, change cipher spec and finished share a datagram");
            assertEquals(2, second[299]);
            assertEquals(5, second[483]);
            assertEquals(null, take(server, 200));
        }
    }

    @Test
    void anUnansweredFlightIsSentAgainEveryCapUntilTheAnswerComes() throws Exception {
        try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                UdpChannel udp = UdpChannel.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), DtlsTransport.LOG)) {
            ClientHandshakeChannel c = new ClientHandshakeChannel(udp, 10_000, 300);
            byte[] hello = record(137, 9);
            c.send(hello, 0, hello.length);
            long start = System.nanoTime();
            assertEquals(-1, c.receive(new byte[2048], 0, 2048, 1000), "Bouncy Castle's own wait of 1 s ends unanswered");
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(took >= 900, "waited " + took + " ms");
            int copies = 0;
            while (take(server, 100) != null) {
                copies++;
            }
            assertTrue(copies >= 3 && copies <= 5, copies + " datagrams: the flight and a copy about every 300 ms");
            assertEquals(copies - 1, c.resent());

            InetSocketAddress client = (InetSocketAddress) udp.localAddress();
            server.send(new DatagramPacket(new byte[] {22, 1}, 2, new InetSocketAddress(InetAddress.getLoopbackAddress(), client.getPort())));
            assertEquals(2, c.receive(new byte[2048], 0, 2048, 1000), "an answer ends the wait");
        }
    }
}

package org.minivpn.transport.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.testsupport.Needs;

class UdpTransportTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void refusesToStartUnlessInsecureIsSet() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new UdpTransport(config(false), new InsecureConsent(config(false))));
        assertTrue(e.getMessage().contains("set insecure = true in configs/org.minivpn.transport.udp.cfg"), e.getMessage());
    }

    @Test
    void carriesPacketsBothWaysInTheClear() throws Exception {
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        Collector atServer = new Collector(true);
        Collector atClient = new Collector(false);
        try (TransportServer server = transport.listen(LOOPBACK, atServer)) {
            Session client = transport.connect(server.localAddress(), null, atClient, Duration.ofSeconds(5));
            byte[] packet = {0x45, 0, 0, 20, 1, 2, 3, 4};
            client.send(packet, 0, packet.length);
            assertArrayEquals(packet, atClient.packets.poll(5, TimeUnit.SECONDS));
            assertEquals("", client.peerIdentity());
            assertEquals("", client.cipherSuite());
            assertEquals(1, server.sessions().size());
            client.close();
            assertEquals("the client closed the session", atServer.closed.poll(5, TimeUnit.SECONDS));
            assertEquals("closed by this client", atClient.closed.poll(5, TimeUnit.SECONDS));
        } finally {
            transport.deactivate();
        }
    }

    @Test
    void theWireShowsThePacketAfterOneTypeByte() throws Exception {
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        Collector atServer = new Collector(false);
        try (TransportServer server = transport.listen(LOOPBACK, atServer);
                DatagramSocket raw = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            raw.setSoTimeout(5000);
            raw.connect(server.localAddress());
            raw.send(new DatagramPacket(new byte[] {Wire.DATA, 'x'}, 2));
            raw.send(new DatagramPacket(new byte[] {Wire.HELLO}, 1));
            DatagramPacket answer = new DatagramPacket(new byte[16], 16);
            raw.receive(answer);
            assertArrayEquals(new byte[] {Wire.WELCOME}, Arrays.copyOf(answer.getData(), answer.getLength()));
            byte[] datagram = "\0plain text".getBytes(StandardCharsets.US_ASCII);
            raw.send(new DatagramPacket(datagram, datagram.length));
            assertArrayEquals("plain text".getBytes(StandardCharsets.US_ASCII), atServer.packets.poll(5, TimeUnit.SECONDS));
            assertEquals(1, ((UdpServer) server).drops.unknownPeer, "data before HELLO was dropped and counted");
        } finally {
            transport.deactivate();
        }
    }

    @Test
    void aHelloFromSourcePort0MakesNoSessionAndTheServerGoesOn() throws Exception {
        Needs.root(); // a raw socket, to send from port 0
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        Collector atServer = new Collector(true);
        try (TransportServer server = transport.listen(LOOPBACK, atServer)) {
            UdpServer udp = (UdpServer) server;
            RawUdp.send(0, server.localAddress(), new byte[] {Wire.HELLO});
            RawUdp.send(0, server.localAddress(), new byte[] {Wire.DATA, 0x45});
            awaitCount(() -> udp.drops.badSource, 2);
            assertEquals(0, server.sessions().size(), "no session for a peer that cannot be answered");

            assertCarriesAPacket(transport, server);
        } finally {
            transport.deactivate();
        }
    }

    @Test
    void anAnswerTheKernelRefusesIsCountedAndTheServerGoesOn() throws Exception {
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        Collector atServer = new Collector(true);
        try (TransportServer server = transport.listen(LOOPBACK, atServer)) {
            UdpServer udp = (UdpServer) server;
            InetSocketAddress port0 = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            for (int i = 0; i < 3; i++) { // on the receive thread, as the answer to a HELLO is sent
                udp.post(() -> {
                    try {
                        udp.reply(ByteBuffer.wrap(new byte[] {Wire.WELCOME}), port0);
                    } catch (ClosedChannelException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            awaitCount(() -> udp.drops.sendErrors, 3);

            assertCarriesAPacket(transport, server);
        } finally {
            transport.deactivate();
        }
    }

    @Test
    void packetsHeldBackBySendMoreLeaveInOrderAtTheFlushBothWays() throws Exception {
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        Collector atServer = new Collector(false);
        Collector atClient = new Collector(false);
        try (TransportServer server = transport.listen(LOOPBACK, atServer)) {
            Session client = transport.connect(server.localAddress(), null, atClient, Duration.ofSeconds(5));
            byte[][] packets = new byte[20][];
            for (int i = 0; i < packets.length; i++) {
                packets[i] = new byte[i < 15 ? 1200 : 700 + i]; // a run of equal ones, then a run breaker each
                packets[i][0] = 0x45;
                packets[i][1] = (byte) i;
                client.sendMore(packets[i], 0, packets[i].length);
            }
            client.flush();
            for (byte[] p : packets) {
                assertArrayEquals(p, atServer.packets.poll(5, TimeUnit.SECONDS), "client to server, in order");
            }
            Session atServerSide = server.sessions().get(0);
            for (byte[] p : packets) {
                atServerSide.sendMore(p, 0, p.length);
            }
            atServerSide.send(packets[0], 0, packets[0].length); // after what was held
            for (byte[] p : packets) {
                assertArrayEquals(p, atClient.packets.poll(5, TimeUnit.SECONDS), "server to client, in order");
            }
            assertArrayEquals(packets[0], atClient.packets.poll(5, TimeUnit.SECONDS), "and the one sent at once last");
            client.close();
        } finally {
            transport.deactivate();
        }
    }

    /** A fresh client connects to {@code server} (which echoes) and gets its packet back. */
    private static void assertCarriesAPacket(UdpTransport transport, TransportServer server) throws Exception {
        Collector atClient = new Collector(false);
        Session client = transport.connect(server.localAddress(), null, atClient, Duration.ofSeconds(5));
        byte[] packet = {0x45, 0, 0, 20, 9, 8, 7, 6};
        client.send(packet, 0, packet.length);
        assertArrayEquals(packet, atClient.packets.poll(5, TimeUnit.SECONDS), "the server still serves");
        assertEquals(1, server.sessions().size());
        client.close();
    }

    private static void awaitCount(LongSupplier counter, long wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counter.getAsLong() < wanted && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        assertEquals(wanted, counter.getAsLong());
    }

    @Test
    void connectWithoutServerFailsWithAdvice() throws Exception {
        UdpTransport transport = new UdpTransport(config(true), new InsecureConsent(config(true)));
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> transport.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), null,
                    new Collector(false), Duration.ofMillis(500)));
            assertNotNull(e.getMessage());
            assertTrue(e.getMessage().contains("plaintext UDP server"), e.getMessage());
        } finally {
            transport.deactivate();
        }
    }

    static UdpConfig config(boolean insecure) {
        return new UdpConfig() {
            @Override
            public boolean insecure() {
                return insecure;
            }

            @Override
            public int session_idle_timeout() {
                return 180;
            }

            @Override
            public int max_packet_size() {
                return 1500;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return UdpConfig.class;
            }
        };
    }

    private static final class Collector implements SessionHandler {
        final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();
        final BlockingQueue<String> closed = new LinkedBlockingQueue<>();
        private final boolean echo;

        Collector(boolean echo) {
            this.echo = echo;
        }

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            if (echo) {
                try {
                    session.send(buf, off, len);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                packets.add(Arrays.copyOfRange(buf, off, off + len));
            }
        }

        @Override
        public void closed(Session session, String reason) {
            closed.add(reason);
        }
    }
}

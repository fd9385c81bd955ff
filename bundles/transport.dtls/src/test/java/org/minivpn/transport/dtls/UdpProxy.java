package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A NAT on loopback between one client and a server: the client talks to {@link #address()}, the
 * server sees the proxy's outside port, which {@link #rebind()} changes as a NAT rebinding does.
 * It can also drop, record and inject datagrams.
 */
final class UdpProxy implements AutoCloseable {

    final List<byte[]> toServer = new CopyOnWriteArrayList<>();
    volatile Predicate<byte[]> dropToClient = d -> false;
    volatile Predicate<byte[]> dropToServer = d -> false; // still recorded in toServer
    /** When set, the client's datagrams leave from this socket, as from a client that took over another's port. */
    volatile DatagramSocket sendFrom;
    /** When set, the server's datagrams go to that proxy's client instead, as from a NAT that reassigned its port. */
    volatile UdpProxy deliverVia;
    private final DatagramSocket front;
    private final InetSocketAddress server;
    private volatile DatagramSocket back;
    private volatile SocketAddress client;
    private volatile boolean running = true;
    private final Thread up;
    private final Thread down;

    UdpProxy(InetSocketAddress server) throws SocketException {
        this.server = server;
        this.front = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        this.back = newBack();
        front.setSoTimeout(50);
        up = new Thread(this::up, "proxy-up");
        down = new Thread(this::down, "proxy-down");
        up.setDaemon(true);
        down.setDaemon(true);
        up.start();
        down.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), front.getLocalPort());
    }

    /** The outside port the server sees now. */
    int outsidePort() {
        return back.getLocalPort();
    }

    /** The socket the server sees the client's datagrams come from, and answers to. */
    DatagramSocket outside() {
        return back;
    }

    /** Moves the client's traffic to a new outside port. */
    void rebind() throws SocketException {
        DatagramSocket old = back;
        back = newBack();
        old.close();
    }

    /** Sends a datagram to the server as if it came from the client. */
    void inject(byte[] datagram) throws IOException {
        back.send(new DatagramPacket(datagram, datagram.length, server));
    }

    private DatagramSocket newBack() throws SocketException {
        DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        s.setSoTimeout(50);
        return s;
    }

    private void up() {
        byte[] buf = new byte[65536];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                front.receive(p);
                client = p.getSocketAddress();
                byte[] d = Arrays.copyOf(buf, p.getLength());
                toServer.add(d);
                if (!dropToServer.test(d)) {
                    DatagramSocket from = sendFrom;
                    (from != null ? from : back).send(new DatagramPacket(d, d.length, server));
                }
            } catch (SocketTimeoutException e) {
                // poll running
            } catch (IOException e) {
                // a rebinding closed the socket under us; the next one is there
            }
        }
    }

    private void down() {
        byte[] buf = new byte[65536];
        while (running) {
            DatagramSocket socket = back;
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                byte[] d = Arrays.copyOf(buf, p.getLength());
                UdpProxy to = deliverVia != null ? deliverVia : this;
                if (to.client != null && !dropToClient.test(d)) {
                    to.front.send(new DatagramPacket(d, d.length, to.client));
                }
            } catch (SocketTimeoutException e) {
                // poll running
            } catch (IOException e) {
                // rebinding
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        up.join(1000);
        down.join(1000);
        front.close();
        back.close();
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Real traffic between test namespaces: a TCP listener that records who connected, and a client
 * that tries to connect. Sockets are opened on threads that joined the namespace.
 */
final class TcpProbe implements AutoCloseable {

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<InetAddress> peers = new CopyOnWriteArrayList<>();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    private TcpProbe(ServerSocket server, Netns ns) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "probe-accept-" + ns.name);
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Listens on {@code address:port} inside {@code ns}. */
    static TcpProbe listen(Netns ns, InetAddress address, int port) throws Exception {
        ServerSocket s = InNamespace.call(ns, Duration.ofSeconds(5), () -> {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(address, port));
            ss.setSoTimeout(200);
            return ss;
        });
        return new TcpProbe(s, ns);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                peers.add(s.getInetAddress());
                accepted.add(s);
            } catch (SocketTimeoutException e) {
                // poll again until closed
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The source addresses of the connections accepted so far. */
    List<InetAddress> peers() {
        return List.copyOf(peers);
    }

    @Override
    public void close() throws Exception {
        server.close();
        for (Socket s : accepted) {
            s.close();
        }
        acceptor.join(2000);
    }

    /**
     * Connects from inside {@code ns}; returns the connected socket (the caller closes it), or null
     * when no connection was made within {@code timeout}.
     */
    static Socket connect(Netns ns, InetAddress address, int port, Duration timeout) throws Exception {
        return InNamespace.call(ns, timeout.plusSeconds(5), () -> {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(address, port), (int) timeout.toMillis());
                return s;
            } catch (IOException e) {
                s.close();
                return null;
            }
        });
    }

    /** True when a connection from {@code ns} to {@code address:port} succeeds within 1 s. */
    static boolean reaches(Netns ns, InetAddress address, int port) throws Exception {
        Socket s = connect(ns, address, port, Duration.ofSeconds(1));
        if (s == null) {
            return false;
        }
        s.close();
        return true;
    }

    /**
     * Sends one UDP datagram from {@code from} to a receiver bound in {@code to}; true when it
     * arrived within 2 s.
     */
    static boolean udpArrives(Netns from, Netns to, InetAddress address, int port) throws Exception {
        DatagramSocket receiver = InNamespace.call(to, Duration.ofSeconds(5), () -> {
            DatagramSocket d = new DatagramSocket(new InetSocketAddress(address, port));
            d.setSoTimeout(2000);
            return d;
        });
        try (receiver) {
            CountDownLatch got = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                try {
                    receiver.receive(new DatagramPacket(new byte[64], 64));
                    got.countDown();
                } catch (IOException e) {
                    // nothing came
                }
            }, "probe-udp-receive");
            t.setDaemon(true);
            t.start();
            InNamespace.call(from, Duration.ofSeconds(5), () -> {
                try (DatagramSocket d = new DatagramSocket()) {
                    byte[] hello = {1, 2, 3};
                    d.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(address, port)));
                } catch (IOException e) {
                    // dropped on the way out (EPERM from the firewall): it did not arrive
                }
                return null;
            });
            boolean arrived = got.await(3, TimeUnit.SECONDS);
            t.join(3000);
            return arrived;
        }
    }
}

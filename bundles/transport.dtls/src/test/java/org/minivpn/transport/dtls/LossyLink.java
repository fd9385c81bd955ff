package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP relay on loopback between one client and a server that drops each datagram, each way, with
 * a given probability, as `nft ... numgen random mod 100 < N drop` does on a router. Seeded, so a
 * run drops the same datagrams of each direction. {@code -Dlossy.trace=true} prints each datagram.
 */
final class LossyLink implements AutoCloseable {

    private static final boolean TRACE = Boolean.getBoolean("lossy.trace");
    private static final long T0 = System.nanoTime();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong passed = new AtomicLong();
    /** Datagrams the server sent, dropped or not. */
    final AtomicLong fromServer = new AtomicLong();
    private final DatagramSocket front;
    private final DatagramSocket back;
    private final InetSocketAddress server;
    private final double loss;
    private final Random upRandom;
    private final Random downRandom;
    private volatile SocketAddress client;
    private volatile boolean running = true;
    private final Thread up;
    private final Thread down;

    LossyLink(InetSocketAddress server, double loss, long seed) throws SocketException {
        this.server = server;
        this.loss = loss;
        this.upRandom = new Random(seed); // one per direction: each drops the same datagrams whatever the timing
        this.downRandom = new Random(seed ^ 0x5DEECE66DL);
        this.front = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        this.back = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        front.setSoTimeout(50);
        back.setSoTimeout(50);
        up = new Thread(() -> relay(front, true), "lossy-up");
        down = new Thread(() -> relay(back, false), "lossy-down");
        up.setDaemon(true);
        down.setDaemon(true);
        up.start();
        down.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), front.getLocalPort());
    }

    private boolean drop(boolean toServer) {
        return (toServer ? upRandom : downRandom).nextDouble() < loss;
    }

    private void relay(DatagramSocket from, boolean toServer) {
        byte[] buf = new byte[65536];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                from.receive(p);
                if (toServer) {
                    client = p.getSocketAddress();
                } else {
                    fromServer.incrementAndGet();
                }
                boolean lost = drop(toServer);
                if (TRACE) {
                    int type = buf[0] & 0xff;
                    int epoch = ((buf[3] & 0xff) << 8) | (buf[4] & 0xff);
                    long seq = 0;
                    for (int k = 5; k < 11; k++) {
                        seq = (seq << 8) | (buf[k] & 0xff);
                    }
                    String hs = type == 22 && epoch == 0 && p.getLength() > 13 ? " hs=" + (buf[13] & 0xff) : "";
                    System.out.printf("%6d %s type=%d epoch=%d seq=%d%s len=%d%s%n", (System.nanoTime() - T0) / 1_000_000,
                            toServer ? "C->S" : "S->C", type, epoch, seq, hs, p.getLength(), lost ? " DROPPED" : "");
                }
                if (lost) {
                    dropped.incrementAndGet();
                    continue;
                }
                SocketAddress to = toServer ? server : client;
                if (to != null) {
                    passed.incrementAndGet();
                    (toServer ? back : front).send(new DatagramPacket(buf, p.getLength(), to));
                }
            } catch (SocketTimeoutException e) {
                // look at running again
            } catch (IOException e) {
                if (!running) {
                    return;
                }
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

package org.minivpn.transport.udp;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A UDP socket whose waits are bounded and can be cut short by {@link #wakeup()}: a non-blocking
 * channel with its own selector. One receiving thread; any number of senders. Allocates nothing in
 * steady state.
 */
final class UdpSocket implements Closeable {

    private static final Consumer<SelectionKey> IGNORE = key -> { };
    private static final long SEND_PATIENCE_NANOS = 2_000_000;

    private final DatagramChannel channel;
    private final Selector selector;

    private UdpSocket(DatagramChannel channel) throws IOException {
        this.channel = channel;
        this.selector = Selector.open();
        try {
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
    }

    static UdpSocket bind(InetSocketAddress local) throws IOException {
        DatagramChannel channel = DatagramChannel.open(family(local));
        try {
            channel.bind(local);
            return new UdpSocket(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    static UdpSocket connect(InetSocketAddress remote) throws IOException {
        DatagramChannel channel = DatagramChannel.open(family(remote));
        try {
            channel.connect(remote);
            return new UdpSocket(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static StandardProtocolFamily family(InetSocketAddress a) {
        return a.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** One datagram into {@code into}, waiting at most {@code timeoutMillis}; the sender, or null. */
    InetSocketAddress receive(ByteBuffer into, long timeoutMillis) throws IOException {
        InetSocketAddress from = (InetSocketAddress) channel.receive(into);
        if (from != null) {
            return from;
        }
        selector.select(IGNORE, Math.max(1, timeoutMillis));
        return (InetSocketAddress) channel.receive(into);
    }

    /** Sends to {@code to}, or on the connected socket when null; false when the buffer stayed full for 2 ms. */
    boolean send(ByteBuffer from, InetSocketAddress to) throws IOException {
        long deadline = 0;
        while (true) {
            int n = to == null ? channel.write(from) : channel.send(from, to);
            if (n > 0) {
                return true;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + SEND_PATIENCE_NANOS;
            } else if (now - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    void wakeup() {
        selector.wakeup();
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left to release
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}

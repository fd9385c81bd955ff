package org.minivpn.loadgen;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.bouncycastle.tls.DatagramTransport;

/**
 * One session's UDP socket, a connected {@link DatagramChannel}, as Bouncy Castle's DTLS wants it.
 *
 * <p>While the channel is in blocking mode (the handshake and the wait for CONFIG, on one opener
 * thread) {@link #receive} waits at most the time Bouncy Castle asks for. Once a {@link Keepers}
 * thread owns it, the channel is non-blocking and registered with that thread's selector, which
 * calls Bouncy Castle only when a datagram is there: {@link #receive} then never waits. One thread
 * at a time uses it.
 */
final class ChannelTransport implements DatagramTransport {

    /** Larger than any datagram a MiniVPN server sends: a record carries at most 2^14 bytes. */
    static final int RECEIVE_LIMIT = 16384 + 2048;
    /** Handshake messages are fragmented to fit, as MiniVPN's own client does. */
    static final int SEND_LIMIT = 1400;

    private final DatagramChannel channel;
    private volatile boolean closed;

    ChannelTransport(DatagramChannel channel) {
        this.channel = channel;
    }

    DatagramChannel channel() {
        return channel;
    }

    /** Whether Bouncy Castle closed the socket (after a close_notify or a fatal alert, or on our close). */
    boolean isClosed() {
        return closed;
    }

    @Override
    public int getReceiveLimit() {
        return RECEIVE_LIMIT;
    }

    @Override
    public int getSendLimit() {
        return SEND_LIMIT;
    }

    /**
     * Returns the length of one datagram, or -1 when none came within {@code waitMillis} (or, when
     * non-blocking, none is there). A wait of 0, which Bouncy Castle means as forever, is taken as
     * 1 ms: every wait here is bounded.
     */
    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        if (!channel.isBlocking()) {
            int n = channel.read(ByteBuffer.wrap(buf, off, len));
            return n > 0 ? n : -1;
        }
        DatagramPacket packet = new DatagramPacket(buf, off, len);
        channel.socket().setSoTimeout(Math.max(1, waitMillis));
        try {
            channel.socket().receive(packet);
        } catch (SocketTimeoutException e) {
            return -1;
        }
        return packet.getLength();
    }

    /** Sends one datagram; on a non-blocking channel with a full socket buffer it is dropped, as a network would. */
    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        channel.write(ByteBuffer.wrap(buf, off, len));
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }
}

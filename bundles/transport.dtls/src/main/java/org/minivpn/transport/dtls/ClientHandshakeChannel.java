package org.minivpn.transport.dtls;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.bouncycastle.tls.DatagramTransport;

/**
 * The datagrams of a client handshake, on the client's connected socket. Bouncy Castle calls it
 * from the connecting thread only. Waits never pass the handshake's deadline.
 */
final class ClientHandshakeChannel implements DatagramTransport {

    /** Handshake messages are fragmented to fit this, so they cross paths with a 1500-byte MTU. */
    static final int HANDSHAKE_MTU = 1400;
    static final int MAX_DATAGRAM = RecordLayer.HEADER + 255 + DtlsSettings.MAX_RECORD_PLAINTEXT + 2048;

    private final UdpChannel udp;
    private final long deadline;
    private final SentRecords sent = new SentRecords();

    ClientHandshakeChannel(UdpChannel udp, long timeoutMillis) {
        this.udp = udp;
        this.deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    }

    SentRecords sent() {
        return sent;
    }

    @Override
    public int getReceiveLimit() {
        return MAX_DATAGRAM;
    }

    @Override
    public int getSendLimit() {
        return HANDSHAKE_MTU;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        long wait = waitMillis == 0 ? left : Math.min(waitMillis, left);
        if (wait <= 0) {
            return -1;
        }
        return udp.read(ByteBuffer.wrap(buf, off, len), wait);
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        sent.sent(buf, off, len);
        udp.send(ByteBuffer.wrap(buf, off, len), null);
    }

    @Override
    public void close() {
        // the session owns the socket
    }
}

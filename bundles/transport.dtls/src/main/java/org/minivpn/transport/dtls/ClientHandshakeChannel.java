package org.minivpn.transport.dtls;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.bouncycastle.tls.DatagramTransport;
import org.minivpn.net.udp.UdpChannel;

/**
 * The datagrams of a client handshake, on the client's connected socket. Bouncy Castle calls it
 * from the connecting thread only. Waits never pass the handshake's deadline. Each flight is packed
 * and, while its answer is late, sent again every {@code cap} ({@link Flight}), so that a handshake
 * survives heavy loss (30 % each way); a server waiting for our last flight's confirmation, or a
 * stateless cookie exchange, answers a copy with its own flight again. A path without loss sees no
 * extra datagram: the answer comes first.
 */
final class ClientHandshakeChannel implements DatagramTransport {

    /** Handshake messages are fragmented to fit this, so they cross paths with a 1500-byte MTU. */
    static final int HANDSHAKE_MTU = 1400;
    static final int MAX_DATAGRAM = RecordLayer.HEADER + 255 + DtlsSettings.MAX_RECORD_PLAINTEXT + 2048;
    /**
     * The longest a flight goes without being sent again while no answer comes: RFC 6347 4.2.4.1's
     * initial timer, never doubled (measured through 30 % loss each way, 20 handshakes each: median
     * 3.0 s and at most 8.0 s with 1 s; 3.5 and 9.5 s with 1.5 s). Only a source that answered a
     * cookie gets resends from the server, so this amplifies nothing for a spoofer.
     */
    static final long RESEND_CAP_MILLIS = 1000;

    private final UdpChannel udp;
    private final long deadline;
    private final long capNanos;
    private final SentRecords sent = new SentRecords();
    private final Flight flight;

    ClientHandshakeChannel(UdpChannel udp, long timeoutMillis) {
        this(udp, timeoutMillis, RESEND_CAP_MILLIS);
    }

    /** @param capMillis the longest a flight waits for an answer before it is sent again */
    ClientHandshakeChannel(UdpChannel udp, long timeoutMillis, long capMillis) {
        this.udp = udp;
        this.deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        this.capNanos = capMillis * 1_000_000;
        this.flight = new Flight(HANDSHAKE_MTU, d -> udp.send(ByteBuffer.wrap(d), null));
    }

    SentRecords sent() {
        return sent;
    }

    /** How many datagrams this channel sent again on its own (see the class comment). */
    int resent() {
        return flight.resent();
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
        flight.flush();
        long now = System.nanoTime();
        long end = waitMillis == 0 ? deadline : Math.min(deadline, now + waitMillis * 1_000_000L);
        while (end - now > 0) {
            if (flight.due(now, capNanos)) {
                flight.resend();
                continue;
            }
            long until = flight.nextWake(end, capNanos);
            int n = udp.read(ByteBuffer.wrap(buf, off, len), Math.max(1, (until - now) / 1_000_000));
            if (n >= 0) {
                return n;
            }
            now = System.nanoTime();
        }
        return -1;
    }

    /** Takes one record; it leaves with the rest of its flight when Bouncy Castle waits for the answer. */
    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        sent.sent(buf, off, len);
        flight.add(buf, off, len);
    }

    /** Sends what Bouncy Castle wrote last (an alert before it gives up); the session owns the socket. */
    @Override
    public void close() throws IOException {
        flight.flush();
    }
}

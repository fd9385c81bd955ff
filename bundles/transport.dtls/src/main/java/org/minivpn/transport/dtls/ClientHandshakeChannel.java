package org.minivpn.transport.dtls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.DatagramTransport;

/**
 * The datagrams of a client handshake, on the client's connected socket. Bouncy Castle calls it
 * from the connecting thread only. Waits never pass the handshake's deadline. Two things make a
 * handshake survive heavy loss (30 % each way):
 *
 * <p>It packs each flight into as few datagrams as fit {@link #HANDSHAKE_MTU} (RFC 6347 4.1.1 and
 * RFC 9147 4.3 allow several records per datagram; OpenSSL packs them too). Bouncy Castle sends one
 * record per datagram, so a flight of certificate, key exchange, certificate verify, change cipher
 * spec and finished arrives whole with probability 0.7^5 = 17 % at 30 % loss; packed, 70 %. The
 * records are packed from the end, so that the certificate verify, the change cipher spec and the
 * finished always share a datagram: a Bouncy Castle server that gets a change cipher spec before
 * a lost certificate verify switches epochs and then drops that message when it is sent again,
 * and the handshake hangs until it times out.
 *
 * <p>It caps the retransmission timer. Bouncy Castle resends a flight after
 * {@link ClientPeer#getHandshakeResendTimeMillis()}, then doubles the wait up to 60 s (RFC 6347
 * 4.2.4.1), so after a few losses it waits 8 s or more. While it waits longer than {@code cap}
 * for an answer, this channel sends the last flight again, byte for byte, every {@code cap}: a
 * copy is what a network that duplicates datagrams delivers, so the server takes what it missed
 * and its replay window drops what it has (RFC 6347 4.1.2.6); a server waiting for our last
 * flight's confirmation, or a stateless cookie exchange, answers a copy with its own flight again.
 * RFC 9147 5.8.2 leaves the timer values to the implementation; WireGuard resends its handshake
 * every 5 s without backoff. A path without loss sees no extra datagram: the answer comes first.
 */
final class ClientHandshakeChannel implements DatagramTransport {

    /** Handshake messages are fragmented to fit this, so they cross paths with a 1500-byte MTU. */
    static final int HANDSHAKE_MTU = 1400;
    static final int MAX_DATAGRAM = RecordLayer.HEADER + 255 + DtlsSettings.MAX_RECORD_PLAINTEXT + 2048;
    /** The longest a flight goes without being sent again while no answer comes. */
    static final long RESEND_CAP_MILLIS = 1500;
    /** A flight of more records than this is sent as it comes (none of ours comes near it). */
    private static final int MAX_FLIGHT = 32;

    private final UdpChannel udp;
    private final long deadline;
    private final long capNanos;
    private final SentRecords sent = new SentRecords();
    private final List<byte[]> records = new ArrayList<>(); // of the flight being written, not sent yet
    private final List<byte[]> flight = new ArrayList<>(); // the datagrams of the last flight sent
    private long flightSentNanos;
    private int resent;

    ClientHandshakeChannel(UdpChannel udp, long timeoutMillis) {
        this(udp, timeoutMillis, RESEND_CAP_MILLIS);
    }

    /** @param capMillis the longest a flight waits for an answer before it is sent again */
    ClientHandshakeChannel(UdpChannel udp, long timeoutMillis, long capMillis) {
        this.udp = udp;
        this.deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        this.capNanos = capMillis * 1_000_000;
    }

    SentRecords sent() {
        return sent;
    }

    /** How many datagrams this channel sent again on its own (see the class comment). */
    int resent() {
        return resent;
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
        flush();
        long now = System.nanoTime();
        long end = waitMillis == 0 ? deadline : Math.min(deadline, now + waitMillis * 1_000_000L);
        while (end - now > 0) {
            long resendAt = flightSentNanos + capNanos;
            if (!flight.isEmpty() && resendAt - now <= 0) {
                for (byte[] d : flight) {
                    udp.send(ByteBuffer.wrap(d), null);
                    resent++;
                }
                flightSentNanos = now;
                continue;
            }
            long until = !flight.isEmpty() && resendAt - end < 0 ? resendAt : end;
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
        if (records.size() >= MAX_FLIGHT) {
            flush();
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        records.add(copy);
    }

    /** Sends the records taken since the last flush as the new flight, packed from its end. */
    private void flush() throws IOException {
        if (records.isEmpty()) {
            return;
        }
        flight.clear();
        int end = records.size();
        while (end > 0) {
            int start = end - 1;
            int size = records.get(start).length;
            while (start > 0 && size + records.get(start - 1).length <= HANDSHAKE_MTU) {
                start--;
                size += records.get(start).length;
            }
            byte[] d = new byte[size];
            int at = 0;
            for (int i = start; i < end; i++) {
                byte[] r = records.get(i);
                System.arraycopy(r, 0, d, at, r.length);
                at += r.length;
            }
            flight.add(0, d);
            end = start;
        }
        records.clear();
        for (byte[] d : flight) {
            udp.send(ByteBuffer.wrap(d), null);
        }
        flightSentNanos = System.nanoTime();
    }

    /** Sends what Bouncy Castle wrote last (an alert before it gives up); the session owns the socket. */
    @Override
    public void close() throws IOException {
        flush();
    }
}

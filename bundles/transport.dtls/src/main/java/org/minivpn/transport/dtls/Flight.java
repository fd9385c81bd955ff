package org.minivpn.transport.dtls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one handshake flight, packed into as few datagrams as fit
 * {@link ClientHandshakeChannel#HANDSHAKE_MTU}, and sent again whole when the answer is late. Both
 * sides of a handshake use it ({@link ClientHandshakeChannel}, {@link ServerHandshake}); Bouncy
 * Castle calls them from one thread, so it is not thread-safe.
 *
 * <p>Packing (RFC 6347 4.1.1 and RFC 9147 4.3 allow several records per datagram; OpenSSL packs
 * them too): Bouncy Castle sends one record per datagram, so a flight of five records arrives whole
 * with probability 0.7^5 = 17 % at 30 % loss each way; packed into one datagram, 70 %. Records are
 * packed from the end, so that a certificate verify, change cipher spec and finished always share
 * a datagram: a Bouncy Castle peer that gets a change cipher spec before a lost certificate verify
 * switches epochs and then drops that message when it is sent again.
 *
 * <p>Resending ({@link #resendAt}): Bouncy Castle resends a flight after its timer, then doubles
 * the wait up to 60 s (RFC 6347 4.2.4.1), so after a few losses it waits 8 s or more. The channel
 * that owns the flight sends it again, byte for byte, whenever it has waited longer than its cap:
 * a copy is what a network that duplicates datagrams delivers, so the peer takes what it missed and
 * its replay window drops what it has (RFC 6347 4.1.2.6). RFC 9147 5.8.2 leaves the timer values to
 * the implementation; WireGuard resends its handshake every 5 s without backoff.
 */
final class Flight {

    /** Where the datagrams go. */
    interface Out {
        void send(byte[] datagram) throws IOException;
    }

    /** A flight of more records than this is sent as it comes (none of ours comes near it). */
    private static final int MAX_RECORDS = 32;

    private final int mtu;
    private final Out out;
    private final List<byte[]> records = new ArrayList<>(); // of the flight being written, not sent yet
    private final List<byte[]> datagrams = new ArrayList<>(); // of the last flight sent
    private long sentNanos;
    private int resent;

    Flight(int mtu, Out out) {
        this.mtu = mtu;
        this.out = out;
    }

    /** Takes a copy of one record; it leaves with the rest of its flight at {@link #flush}. */
    void add(byte[] buf, int off, int len) throws IOException {
        if (records.size() >= MAX_RECORDS) {
            flush();
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        records.add(copy);
    }

    /** Sends the records taken since the last flush as the new flight, packed from its end. */
    void flush() throws IOException {
        if (records.isEmpty()) {
            return;
        }
        datagrams.clear();
        int end = records.size();
        while (end > 0) {
            int start = end - 1;
            int size = records.get(start).length;
            while (start > 0 && size + records.get(start - 1).length <= mtu) {
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
            datagrams.add(0, d);
            end = start;
        }
        records.clear();
        for (byte[] d : datagrams) {
            out.send(d);
        }
        sentNanos = System.nanoTime();
    }

    /** True when a flight was sent and has waited {@code capNanos} since it was last sent, at {@code now}. */
    boolean due(long now, long capNanos) {
        return !datagrams.isEmpty() && now - (sentNanos + capNanos) >= 0;
    }

    /** The earlier of {@code end} and when the last flight falls {@link #due}; {@code end} when none was sent. */
    long nextWake(long end, long capNanos) {
        long at = sentNanos + capNanos;
        return !datagrams.isEmpty() && at - end < 0 ? at : end;
    }

    /** Sends the last flight again, byte for byte. */
    void resend() throws IOException {
        for (byte[] d : datagrams) {
            out.send(d);
            resent++;
        }
        sentNanos = System.nanoTime();
    }

    /** How many datagrams {@link #resend} sent. */
    int resent() {
        return resent;
    }
}

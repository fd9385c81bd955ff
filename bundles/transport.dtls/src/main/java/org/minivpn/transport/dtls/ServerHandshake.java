package org.minivpn.transport.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsTimeoutException;
import org.minivpn.tls.trust.Alerts;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerInfo;
import org.minivpn.tls.trust.Refusal;

/**
 * One client's handshake on a server, after its cookie checked out: Bouncy Castle's server
 * protocol on a thread of the handshake pool, fed by the receive thread through a small queue. It
 * ends by its deadline (which {@link #shorten} may bring forward under pressure) or at once when
 * {@link #abandon abandoned}, and reports to the receive thread, which alone changes the server's
 * tables. While it waits for its peer it says since when ({@link #stalledNanos}), so that a full
 * server can evict the handshake that has waited longest.
 */
final class ServerHandshake implements DatagramTransport, Runnable {

    /** A client sends a handful of datagrams per flight; this bounds what one handshake can hold. */
    private static final int INBOX = 16;
    /** Queued to wake the handshake's thread: its deadline moved, or it was abandoned. Never read as data. */
    private static final byte[] WAKE = new byte[0];

    final InetSocketAddress peer;
    final long connectionId;
    final CryptoState crypto;
    final SentRecords sent = new SentRecords();
    private final DtlsServer server;
    private final ServerPeer tls;
    private final DTLSRequest request;
    private final long created = System.nanoTime();
    private final ArrayBlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(INBOX);
    private final Flight flight; // handshake thread only
    private volatile long deadline;
    private volatile boolean abandoned;
    private volatile String abandonReason = "the server is closing";
    private volatile boolean waiting;   // for a datagram from the peer, since waitingSince
    private volatile long waitingSince;

    ServerHandshake(DtlsServer server, InetSocketAddress peer, long connectionId, ServerPeer tls, DTLSRequest request,
            CryptoState crypto, int timeoutMillis) {
        this.server = server;
        this.peer = peer;
        this.connectionId = connectionId;
        this.tls = tls;
        this.request = request;
        this.crypto = crypto;
        this.deadline = created + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.flight = new Flight(ClientHandshakeChannel.HANDSHAKE_MTU, d -> server.sendRaw(d, 0, d.length, peer));
    }

    /** Receive thread: queues a copy of a datagram for the handshake; false when its queue is full. */
    boolean offer(byte[] buf, int off, int len) {
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        return inbox.offer(copy);
    }

    /** A datagram the handshake did not read, or null. */
    byte[] leftover() {
        byte[] d = inbox.poll();
        while (d == WAKE) {
            d = inbox.poll();
        }
        return d;
    }

    /** How long it has been waiting for its peer, in nanoseconds; -1 while it is working (or not started). */
    long stalledNanos(long now) {
        long since = waitingSince;
        return waiting ? now - since : -1;
    }

    /** Brings the deadline forward to {@code latest} if it is later, waking a wait that would pass it. Any thread. */
    void shorten(long latest) {
        if (deadline - latest > 0) {
            deadline = latest;
            inbox.offer(WAKE);
        }
    }

    /** Whether it outlived its deadline by {@code graceNanos}: a thread that hangs must not pin the peer forever. */
    boolean isOverdue(long now, long graceNanos) {
        return now - deadline > graceNanos;
    }

    /** Makes the handshake give up now: a thread waiting for its peer wakes at once. Any thread. */
    void abandon(String reason) {
        abandonReason = reason;
        abandoned = true;
        inbox.offer(WAKE); // when the queue is full the thread is not waiting, and sees the flag at its next call
    }

    @Override
    public void run() {
        String failure;
        Throwable unexpected = null;
        boolean timedOut = false;
        try {
            if (abandoned || System.nanoTime() - deadline > 0) {
                throw new TlsTimeoutException("it waited for a free handshake thread past its timeout");
            }
            new DTLSServerProtocol().accept(tls, this, request);
            flight.flush(); // the last flight: nothing is received after it
            SessionKeys keys = tls.keys();
            server.post(() -> server.established(this, keys));
            return;
        } catch (Refusal e) {
            failure = "refused client " + who() + ": " + e.reason();
        } catch (TlsFatalAlertReceived e) {
            failure = "client " + who() + " refused this server: " + Alerts.explain(e.getAlertDescription());
        } catch (TlsTimeoutException e) {
            timedOut = true;
            failure = "handshake with " + who() + " timed out: " + e.getMessage();
        } catch (InterruptedIOException e) {
            failure = "handshake with " + who() + " abandoned: " + abandonReason;
        } catch (TlsFatalAlert e) {
            failure = "handshake with " + who() + " failed: " + e.getMessage();
            unexpected = e.getCause();
        } catch (IOException | RuntimeException e) {
            failure = "handshake with " + who() + " failed: " + e;
            unexpected = e;
        }
        if (!abandoned) {
            DtlsTransport.LOG.log(timedOut ? Level.INFO : Level.WARNING, failure, unexpected);
            try {
                flight.flush(); // the alert Bouncy Castle wrote before it gave up
            } catch (IOException e) {
                // the client learns it from its own timeout
            }
        }
        boolean timeout = timedOut;
        server.post(() -> server.failed(this, timeout));
    }

    private String who() {
        PeerInfo client = tls.client();
        return peer.getAddress().getHostAddress() + ":" + peer.getPort() + (client == null ? "" : " ('" + client.identity() + "')");
    }

    @Override
    public int getReceiveLimit() {
        return ClientHandshakeChannel.MAX_DATAGRAM;
    }

    @Override
    public int getSendLimit() {
        return ClientHandshakeChannel.HANDSHAKE_MTU;
    }

    /**
     * Sends the flight written since the last call ({@link Flight}: packed) and waits up to
     * {@code waitMillis} (Bouncy Castle's retransmission timer) for the peer's next datagram; -1 when
     * none came, so that Bouncy Castle resends its flight. While it waits longer than
     * {@link ClientHandshakeChannel#RESEND_CAP_MILLIS} it sends the flight again itself, as the
     * client does, so that a lossy path is not left waiting for Bouncy Castle's doubled timer; only
     * a source that answered a cookie (RFC 6347 4.2.1) has a handshake, so this amplifies nothing
     * for a spoofer. Past our deadline it throws {@link TlsTimeoutException} instead, as Bouncy
     * Castle's own timer would: our deadline may be shorter than the one Bouncy Castle keeps.
     */
    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        flight.flush();
        long start = System.nanoTime();
        if (!waiting) {
            waitingSince = start;
            waiting = true;
        }
        long cap = TimeUnit.MILLISECONDS.toNanos(ClientHandshakeChannel.RESEND_CAP_MILLIS);
        long waitEnd = start + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        for (;;) {
            if (abandoned) {
                throw new InterruptedIOException(abandonReason);
            }
            long now = System.nanoTime();
            long left = deadline - now;
            if (left <= 0) {
                throw new TlsTimeoutException("no answer from the client within "
                        + TimeUnit.NANOSECONDS.toMillis(deadline - created) + " ms");
            }
            long end = waitMillis == 0 ? deadline : (waitEnd - deadline < 0 ? waitEnd : deadline);
            if (end - now <= 0) {
                return -1;
            }
            if (flight.due(now, cap)) {
                flight.resend();
                continue;
            }
            byte[] datagram;
            try {
                datagram = inbox.poll(flight.nextWake(end, cap) - now, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the server is closing");
            }
            if (datagram != null && datagram != WAKE) {
                waiting = false;
                int n = Math.min(len, datagram.length);
                System.arraycopy(datagram, 0, buf, off, n);
                return n;
            }
        }
    }

    /** Takes one record; it leaves with the rest of its flight when Bouncy Castle waits for the answer. */
    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (abandoned) {
            throw new InterruptedIOException(abandonReason);
        }
        sent.sent(buf, off, len);
        flight.add(buf, off, len);
    }

    @Override
    public void close() {
        // the server owns the socket
    }
}

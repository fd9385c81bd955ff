package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.minivpn.api.transport.Session;
import org.minivpn.tls.trust.Alerts;

/**
 * A client's session on a {@link DtlsServer}. The server's receive thread feeds it records and
 * calls the handler; the relay sends from its own thread. Until the first application record
 * from the client proves it finished its handshake, a retransmission from it makes us resend our
 * final flight.
 */
final class ServerSession implements Session {

    /** Connection ID the client's records carry, or 0 when it uses none. */
    final long connectionId;
    private final DtlsServer server;
    private final SessionKeys keys;
    private final RecordLayer record;
    private final int maxPacketSize;
    private final Object writeLock = new Object();
    private final byte[] sendBuf;          // guarded by writeLock: alerts
    private final ByteBuffer sendBuffer;   // guarded by writeLock
    private volatile InetSocketAddress remote;
    private volatile boolean open = true;
    private volatile Object attachment;

    // receive thread only
    private final PathValidation path = new PathValidation();
    private List<byte[]> finalFlight;      // null once the client is confirmed
    private long lastResend;
    long lastReceive = System.nanoTime();
    boolean reported;
    int idleIndex = -1; // its place in the server's IdleOrder, -1 when not filed
    long idleKey; // lastReceive as the IdleOrder filed it

    ServerSession(DtlsServer server, InetSocketAddress remote, SessionKeys keys, RecordLayer record,
            List<byte[]> finalFlight, long connectionId, int maxPacketSize) {
        this.server = server;
        this.remote = remote;
        this.keys = keys;
        this.record = record;
        this.finalFlight = finalFlight;
        this.connectionId = connectionId;
        this.maxPacketSize = maxPacketSize;
        this.sendBuf = new byte[maxPacketSize + record.overhead()];
        this.sendBuffer = ByteBuffer.wrap(sendBuf);
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        send(buf, off, len, false);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Records of equal length go out together, up to 64 in one system call with UDP segmentation
     * offload (through the server's batch, one session at a time).
     */
    @Override
    public void sendMore(byte[] buf, int off, int len) throws IOException {
        send(buf, off, len, true);
    }

    @Override
    public void flush() throws IOException {
        server.flush(this);
    }

    private void send(byte[] buf, int off, int len, boolean more) throws IOException {
        if (len > maxPacketSize) {
            throw new IOException("a packet of " + len + " bytes is larger than this session's maximum of "
                    + maxPacketSize + " (max.packet.size in configs/" + DtlsTransport.PID + ".cfg)");
        }
        synchronized (writeLock) {
            if (!open) {
                throw new ClosedChannelException();
            }
            server.send(this, record, buf, off, len, more);
        }
    }

    @Override
    public int maxPacketSize() {
        return maxPacketSize;
    }

    @Override
    public String peerIdentity() {
        return keys.peer().identity();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String cipherSuite() {
        return keys.suiteName();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    @Override
    public Object attachment() {
        return attachment;
    }

    /** Tells the client, then lets the receive thread drop the session and call the handler. */
    @Override
    public void close() {
        if (end(Alerts.WARNING, AlertDescription.close_notify)) {
            server.post(() -> server.remove(this, "closed by this server"));
        }
    }

    /** Marks the session closed and sends the alert; false when it was closed already. */
    boolean end(short level, short alert) {
        synchronized (writeLock) {
            if (!open) {
                return false;
            }
            open = false;
            try {
                server.flush(this);
                byte[] body = {(byte) level, (byte) alert};
                int n = record.seal(RecordLayer.ALERT, body, 0, 2, sendBuf, 0);
                sendBuffer.clear().limit(n);
                server.send(sendBuffer, remote);
            } catch (IOException e) {
                // the peer learns by timeout instead
            }
            return true;
        }
    }

    SessionKeys keys() {
        return keys;
    }

    /** Receive thread: the records of one datagram from {@code from}. */
    void receive(InetSocketAddress from, byte[] buf, int off, int len, byte[] plain) {
        int end = off + len;
        while (end - off >= RecordLayer.HEADER && !reported) {
            if (RecordLayer.getShort(buf, off + 3) == 0) {
                server.epochZero(this, from, buf, off, end - off);
                return;
            }
            int n = record.open(buf, off, end - off, plain, 0);
            if (n < 0) {
                server.drops.count(n);
                // Datagrams the kernel merged: the next record may well be good.
                int skip = RecordLayer.declaredLength(buf, off, end - off, Peers.CID_LENGTH);
                if (skip <= 0) {
                    return;
                }
                off += skip;
                continue;
            }
            off += record.lastLength();
            dispatch(from, plain, n);
        }
        if (off != end && !reported) {
            server.drops.malformed++;
        }
    }

    private void dispatch(InetSocketAddress from, byte[] plain, int n) {
        switch (record.lastType()) {
            case RecordLayer.APPLICATION_DATA -> {
                lastReceive = System.nanoTime();
                finalFlight = null;
                if (record.peerUsesConnectionId() && record.lastWasNewest() && !from.equals(remote)) {
                    challenge(from); // data is delivered; the session moves only once the path answers
                }
                if (n > 0) {
                    server.deliver(this, plain, n);
                }
            }
            case RecordLayer.ALERT -> {
                if (n != 2) {
                    server.drops.malformed++;
                } else if (plain[1] == AlertDescription.close_notify) {
                    end(Alerts.WARNING, AlertDescription.close_notify);
                    server.remove(this, "the client closed the session");
                } else if (plain[0] == Alerts.FATAL) {
                    open = false;
                    server.remove(this, "the client ended the session: " + AlertDescription.getText(plain[1]));
                }
            }
            case RecordLayer.HANDSHAKE -> resendFinalFlight();
            case PathValidation.CONTENT_TYPE -> {
                if (path.validates(from, plain, n, System.nanoTime())) {
                    server.roam(this, from);
                } else {
                    server.drops.pathIgnored++;
                }
            }
            default -> server.drops.unexpected++;
        }
    }

    /** Sends a path_challenge to {@code to}, unless one went out too recently (see {@link PathValidation}). */
    private void challenge(InetSocketAddress to) {
        byte[] m = path.challenge(to, System.nanoTime());
        if (m == null) {
            return;
        }
        server.drops.pathChallenges++;
        synchronized (writeLock) {
            if (!open) {
                return;
            }
            try {
                int len = record.seal(PathValidation.CONTENT_TYPE, m, 0, m.length, sendBuf, 0);
                sendBuffer.clear().limit(len);
                server.send(sendBuffer, to);
            } catch (IOException e) {
                // the next record from there asks again
            }
        }
    }

    /** Whether the client may still be waiting for our Finished. */
    boolean awaitsConfirmation() {
        return finalFlight != null;
    }

    /** Resends our last flight, at most every 250 ms: the client's retransmission shows it was lost. */
    void resendFinalFlight() {
        if (finalFlight == null) {
            server.drops.unexpected++;
            return;
        }
        long now = System.nanoTime();
        if (now - lastResend < 250_000_000L) {
            return;
        }
        lastResend = now;
        for (byte[] datagram : finalFlight) {
            server.sendRaw(datagram, 0, datagram.length, remote);
        }
    }

    /**
     * Marks the session closed without telling the client: it has a new session at the same
     * address, and a close_notify under the old keys would only be dropped there as forged.
     */
    void retire() {
        synchronized (writeLock) {
            open = false;
        }
    }

    void moveTo(InetSocketAddress address) {
        remote = address;
    }

    @Override
    public String toString() {
        return "DTLS session of '" + peerIdentity() + "' at " + remote + " (" + cipherSuite() + ", "
                + record.providerName() + " ciphers)";
    }
}

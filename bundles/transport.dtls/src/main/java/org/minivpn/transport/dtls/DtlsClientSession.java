package org.minivpn.transport.dtls;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsTimeoutException;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportException;
import org.minivpn.net.udp.UdpChannel;
import org.minivpn.tls.trust.Alerts;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.Refusal;

/**
 * A client's session with one server: its own connected UDP socket and one receive thread
 * ({@code dtls-client-rx-HOST:PORT}) that opens records and calls the handler. The relay sends
 * from its own thread.
 */
final class DtlsClientSession implements Session {

    private static final Logger LOG = DtlsTransport.LOG;

    final DropCounters drops = new DropCounters();
    private final DtlsTransport owner;
    private final UdpChannel udp;
    private final InetSocketAddress server;
    private final SessionHandler handler;
    private final SessionKeys keys;
    private final RecordLayer record;
    private final String backend;
    private final int maxPacketSize;
    private final Thread receiver;
    private final Object writeLock = new Object();
    private final byte[] sendBuf;          // guarded by writeLock: alerts
    private final ByteBuffer sendBuffer;   // guarded by writeLock
    private final RecordBatch batch;       // guarded by writeLock: data records
    private volatile boolean open = true;
    private volatile String closeReason;
    private volatile Object attachment;

    private DtlsClientSession(DtlsTransport owner, UdpChannel udp, InetSocketAddress server, SessionHandler handler,
            SessionKeys keys, RecordLayer record, String backend, int maxPacketSize) {
        this.owner = owner;
        this.udp = udp;
        this.server = server;
        this.handler = handler;
        this.keys = keys;
        this.record = record;
        this.backend = backend;
        this.maxPacketSize = maxPacketSize;
        this.sendBuf = new byte[maxPacketSize + record.overhead()];
        this.sendBuffer = ByteBuffer.wrap(sendBuf);
        this.batch = new RecordBatch(udp, drops);
        this.receiver = new Thread(this::run, "dtls-client-rx-" + server.getHostString() + ":" + server.getPort());
        this.receiver.setDaemon(true);
    }

    /** Runs the handshake on the calling thread, within {@code timeout}; the session is not started yet. */
    static DtlsClientSession handshake(DtlsTransport owner, Credentials credentials, CryptoState crypto,
            DtlsSettings settings, InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        UdpChannel udp = UdpChannel.connect(server, DtlsTransport.LOG);
        boolean done = false;
        try {
            ClientPeer peer = new ClientPeer(crypto, credentials, serverName, settings.pins(), millis);
            ClientHandshakeChannel channel = new ClientHandshakeChannel(udp, millis);
            try {
                new DTLSClientProtocol().connect(peer, channel);
            } catch (Refusal e) {
                throw new TransportException("refused the server at " + server + ": " + e.reason(), e);
            } catch (TlsFatalAlertReceived e) {
                throw new TransportException("the server at " + server + " refused this client: "
                        + Alerts.explain(e.getAlertDescription()), e);
            } catch (TlsTimeoutException e) {
                throw timeout(server, millis);
            } catch (PortUnreachableException e) {
                throw new PortUnreachableException("nothing listens on UDP " + server
                        + ": start the server there, or check the host and port");
            } catch (TlsFatalAlert e) {
                throw new TransportException("the DTLS handshake with " + server + " failed: " + e.getMessage(), e);
            }
            SessionKeys keys = peer.keys();
            RecordLayer record = new RecordLayer(keys, crypto.provider(), channel.sent().nextEpoch1Sequence());
            DtlsClientSession session = new DtlsClientSession(owner, udp, server, handler, keys, record, crypto.name(),
                    settings.maxPacketSize());
            LOG.log(Level.INFO, "connected to '" + keys.peer().identity() + "' at " + server + " (" + keys.suiteName()
                    + ", " + crypto.name() + " backend" + (keys.writeCid().length > 0 ? ", connection ID" : "") + ")");
            done = true;
            return session;
        } catch (GeneralSecurityException e) {
            throw new TransportException("crypto backend " + crypto.name() + " cannot run the negotiated cipher: "
                    + e.getMessage() + ": pick another backend (backend.target in configs/" + DtlsTransport.PID + ".cfg)", e);
        } finally {
            if (!done) {
                udp.close();
            }
        }
    }

    private static SocketTimeoutException timeout(InetSocketAddress server, int millis) {
        return new SocketTimeoutException("no DTLS handshake with " + server + " within " + millis + " ms: is a MiniVPN"
                + " server listening on UDP port " + server.getPort() + ", and does every firewall on the way let it through?");
    }

    void start() {
        receiver.start();
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        send(buf, off, len, false);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Records of equal length go out together, up to 64 in one system call with UDP segmentation
     * offload.
     */
    @Override
    public void sendMore(byte[] buf, int off, int len) throws IOException {
        send(buf, off, len, true);
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
            batch.add(this, null, record, buf, off, len);
            if (!more) {
                batch.send();
            }
        }
    }

    /** Whether records go out in runs with UDP segmentation offload. */
    boolean offloads() {
        return udp.offloads();
    }

    @Override
    public void flush() throws IOException {
        synchronized (writeLock) {
            batch.send();
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
        return server;
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

    @Override
    public void close() {
        end("closed by this client", Alerts.WARNING, AlertDescription.close_notify);
    }

    /** Ends the session with an alert to the server; the receive thread then tells the handler. Any thread. */
    void end(String reason, short level, short alert) {
        synchronized (writeLock) {
            if (!open) {
                return;
            }
            open = false;
            closeReason = reason;
            try {
                batch.send();
                byte[] body = {(byte) level, (byte) alert};
                int n = record.seal(RecordLayer.ALERT, body, 0, 2, sendBuf, 0);
                sendBuffer.clear().limit(n);
                udp.send(sendBuffer, null);
            } catch (IOException e) {
                // the server notices by timeout instead
            }
        }
        udp.wakeup();
    }

    /** Re-checks the server's certificate against new trust (CA, CRL); ends the session if it fails. */
    void revalidate(Credentials trust) {
        try {
            PeerCheck.verify(trust, keys.peer().chain(), PeerCheck.Role.SERVER, null, List.of());
        } catch (Refusal r) {
            LOG.log(Level.WARNING, "ending the session with " + server + ": " + r.reason());
            end(r.reason(), Alerts.FATAL, r.getAlertDescription());
        }
    }

    private void run() {
        String reason = null;
        try {
            handler.opened(this);
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            LOG.log(Level.WARNING, "the session handler failed on a new session: " + e, e);
        }
        try {
            byte[] rx = new byte[65536];
            ByteBuffer rxBuffer = ByteBuffer.wrap(rx);
            byte[] plain = new byte[DtlsSettings.MAX_RECORD_PLAINTEXT + 2048];
            while (open && reason == null) {
                rxBuffer.clear();
                int n;
                try {
                    n = udp.read(rxBuffer, 0);
                    if (n <= 0) {
                        Drains.tell(handler, drops);
                        n = udp.read(rxBuffer, 250);
                    }
                } catch (PortUnreachableException e) {
                    drops.unknownPeer++; // an ICMP error from an earlier send; the server may come back
                    continue;
                }
                if (n > 0) {
                    reason = receive(rx, n, plain);
                }
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            reason = "the socket was closed";
        } catch (IOException | RuntimeException e) {
            reason = "receiving failed: " + e;
            LOG.log(Level.WARNING, "the DTLS session with " + server + " stopped: " + e, e);
        } finally {
            open = false;
            udp.close();
            owner.forget(this);
            String why = closeReason != null ? closeReason : reason != null ? reason : "closed";
            LOG.log(Level.INFO, "session with '" + peerIdentity() + "' at " + server + " ended: " + why);
            try {
                handler.closed(this, why);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the session handler failed on a closed session: " + e, e);
            }
        }
    }

    /** The records of one datagram; returns why the session ended, or null. */
    private String receive(byte[] rx, int len, byte[] plain) {
        int off = 0;
        while (len - off >= RecordLayer.HEADER) {
            int n = record.open(rx, off, len - off, plain, 0);
            if (n < 0) {
                drops.count(n);
                // Datagrams the kernel merged: the next record may well be good.
                int skip = RecordLayer.declaredLength(rx, off, len - off, record.readCidLength());
                if (skip <= 0) {
                    return null;
                }
                off += skip;
                continue;
            }
            off += record.lastLength();
            switch (record.lastType()) {
                case RecordLayer.APPLICATION_DATA -> {
                    if (n > 0) {
                        try {
                            handler.received(this, plain, 0, n);
                        } catch (RuntimeException e) {
                            drops.handlerErrors++;
                            LOG.log(Level.DEBUG, "the session handler failed on a packet", e);
                        }
                    }
                }
                case RecordLayer.ALERT -> {
                    if (n != 2) {
                        drops.malformed++;
                    } else if (plain[1] == AlertDescription.close_notify) {
                        return "the server closed the session";
                    } else if (plain[0] == Alerts.FATAL) {
                        return "the server ended the session: " + Alerts.explain(plain[1]);
                    }
                }
                case PathValidation.CONTENT_TYPE -> answer(plain, n);
                default -> drops.unexpected++;
            }
        }
        if (off != len) {
            drops.malformed++;
        }
        return null;
    }

    /**
     * Answers the server's path_challenge at once with a path_response carrying its cookie, from this
     * socket, so that the server may follow a changed address (draft-ietf-tls-dtls-rrc).
     */
    private void answer(byte[] m, int n) {
        if (!PathValidation.isChallenge(m, n)) {
            drops.malformed++;
            return;
        }
        m[0] = PathValidation.PATH_RESPONSE;
        synchronized (writeLock) {
            if (!open) {
                return;
            }
            try {
                int len = record.seal(PathValidation.CONTENT_TYPE, m, 0, n, sendBuf, 0);
                sendBuffer.clear().limit(len);
                udp.send(sendBuffer, null);
            } catch (IOException e) {
                // the server asks again
            }
        }
    }

    @Override
    public String cryptoBackend() {
        return backend;
    }

    @Override
    public String toString() {
        return "DTLS session with '" + peerIdentity() + "' at " + server + " (" + cipherSuite() + ", " + backend
                + " backend); " + drops;
    }
}

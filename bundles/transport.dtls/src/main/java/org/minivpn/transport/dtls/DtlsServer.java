package org.minivpn.transport.dtls;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertDescription;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.net.udp.UdpChannel;
import org.minivpn.tls.trust.Alerts;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.PeerCheck;
import org.minivpn.tls.trust.Refusal;

/**
 * A DTLS server: one UDP socket, one receive thread that demultiplexes every datagram to its
 * session (by connection ID, else by source address), and handshakes admitted by {@link HandshakeAdmission}.
 *
 * <pre>
 *   UDP socket ─receive→ [dtls-rx-PORT] ─┬─ CID or address of a session → open record → handler.received
 *                                         ├─ address of a handshake ──────→ its queue → [dtls-handshake-PORT-n]
 *                                         └─ unknown: ClientHello? cookie, source limits → new handshake
 *   relay thread ─Session.send→ seal record ─→ UDP socket
 * </pre>
 *
 * <p>The receive thread alone changes the {@link Peers} tables; handshake threads and closers post
 * events to it. A new client costs no state until it echoes a cookie ({@link Cookies}); garbage,
 * strangers, forgeries, replays and oversized records are dropped and counted in {@link #drops}.
 * A client that starts a new handshake from the address of its live session keeps that session
 * until the new one authenticates (RFC 6347 4.2.8); see {@link #established}.
 */
final class DtlsServer implements TransportServer {

    private static final Logger LOG = DtlsTransport.LOG;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    final DropCounters drops = new DropCounters();
    private final DtlsTransport owner;
    private final SessionHandler handler;
    private final UdpChannel udp;
    private final InetSocketAddress local;
    private final HandshakeAdmission admission;
    private final Thread receiver;
    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;

    // receive thread only
    private final Peers peers = new Peers();
    private final byte[] rx = new byte[65536];
    private final ByteBuffer rxBuffer = ByteBuffer.wrap(rx);
    private final byte[] plain = new byte[DtlsSettings.MAX_RECORD_PLAINTEXT + 2048];

    private final RecordBatch batch; // data records of one session at a time; guarded by itself

    private DtlsServer(DtlsTransport owner, UdpChannel udp, SessionHandler handler) throws IOException {
        this.owner = owner;
        this.udp = udp;
        this.handler = handler;
        this.batch = new RecordBatch(udp, drops);
        this.local = udp.localAddress();
        this.admission = new HandshakeAdmission(this, owner, peers, drops, owner.cryptoState());
        this.receiver = new Thread(this::run, "dtls-rx-" + local.getPort());
        this.receiver.setDaemon(true);
    }

    /** Binds {@code bind} and starts the receive thread. */
    static DtlsServer start(DtlsTransport owner, InetSocketAddress bind, SessionHandler handler) throws IOException {
        UdpChannel udp = UdpChannel.bind(bind, DtlsTransport.LOG);
        udp.mergeReceived(); // every read is taken record by record, handshakes included
        try {
            DtlsServer server = new DtlsServer(owner, udp, handler);
            server.receiver.start();
            return server;
        } catch (IOException | RuntimeException e) {
            udp.close();
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public List<Session> sessions() {
        return peers.snapshot();
    }

    /** Ends every session (telling each client), stops the threads and closes the socket; within a second. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        udp.wakeup();
        if (Thread.currentThread() != receiver) {
            try {
                receiver.join(800);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        admission.stopThreads();
        if (receiver.isAlive() && Thread.currentThread() != receiver) {
            udp.close(); // a handler that blocks must not keep the socket
        }
    }

    /** The handshake side: limits, places and threads. */
    HandshakeAdmission admission() {
        return admission;
    }

    @Override
    public Map<String, Long> counters() {
        return drops.asMap();
    }

    @Override
    public String toString() {
        return "DTLS server on " + local + ": " + peers.count() + " sessions; " + drops;
    }

    /** Runs {@code event} on the receive thread soon. Any thread. */
    void post(Runnable event) {
        events.add(event);
        udp.wakeup();
    }

    /** Sends a sealed record; false when the socket buffer stayed full. Any thread. */
    boolean send(ByteBuffer datagram, InetSocketAddress to) throws IOException {
        return udp.send(datagram, to);
    }

    /** Sends handshake bytes as they are. Any thread; failures are left to retransmission. */
    void sendRaw(byte[] buf, int off, int len, InetSocketAddress to) {
        try {
            udp.send(ByteBuffer.wrap(buf, off, len), to);
        } catch (IOException | RuntimeException e) {
            // the peer retransmits, or the handshake times out; one refused send never stops the server
        }
    }

    private void run() {
        long nextTick = System.nanoTime() + TICK_NANOS;
        try {
            while (!closing) {
                rxBuffer.clear();
                InetSocketAddress from = udp.receive(rxBuffer, 0);
                if (from == null) {
                    Drains.tell(handler, drops);
                    from = udp.receive(rxBuffer, 100);
                }
                if (from != null) {
                    try {
                        onDatagram(from, rxBuffer.position());
                    } catch (RuntimeException e) {
                        drops.malformed++;
                        LOG.log(Level.DEBUG, "dropped a datagram from " + from + " that broke its parser", e);
                    }
                }
                if (!events.isEmpty()) {
                    runEvents();
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    tick(now);
                    nextTick = now + TICK_NANOS;
                }
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            // close() took the socket away
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "the DTLS server on " + local + " stopped: " + e, e);
        } finally {
            shutdown();
        }
    }

    private void onDatagram(InetSocketAddress from, int len) {
        // Source port 0 cannot be answered (RFC 768): no handshake, and no session may follow it there.
        if (len < RecordLayer.HEADER || from.getPort() == 0) {
            drops.malformed++;
            return;
        }
        if ((rx[0] & 0xFF) == RecordLayer.TLS12_CID) {
            if (len < RecordLayer.HEADER + Peers.CID_LENGTH) {
                drops.malformed++;
                return;
            }
            Object peer = peers.byConnectionId(RecordLayer.getLong(rx, 11));
            if (peer instanceof ServerSession s) {
                s.receive(from, rx, 0, len, plain);
            } else if (peer instanceof ServerHandshake h) {
                admission.queue(h, rx, 0, len);
            } else {
                drops.unknownPeer++;
            }
            return;
        }
        ServerSession session = peers.session(from);
        if (session != null && !HandshakeAdmission.takes(rx[0] & 0xFF)) {
            session.receive(from, rx, 0, len, plain); // data: one lookup
            return;
        }
        ServerHandshake handshake = peers.handshake(from);
        if (handshake != null) {
            admission.queue(handshake, rx, 0, len);
        } else if (session != null) {
            session.receive(from, rx, 0, len, plain);
        } else if (Cookies.isClientHello(rx, 0, len)) {
            admission.clientHello(from, rx, 0, len);
        } else {
            drops.unknownPeer++;
        }
    }

    /** Event: a handshake finished; the client becomes a session, and a session at its address is {@link #settle}d. */
    void established(ServerHandshake handshake, SessionKeys keys) {
        if (closing || !admission.finish(handshake)) {
            return; // abandoned meanwhile
        }
        RecordLayer record;
        try {
            record = new RecordLayer(keys, handshake.crypto.provider(), handshake.sent.nextEpoch1Sequence());
        } catch (GeneralSecurityException e) {
            drops.handshakeFailures++;
            LOG.log(Level.ERROR, "crypto backend " + handshake.crypto.name() + " cannot run " + keys.suiteName()
                    + ": " + e.getMessage() + ": pick another backend (backend.target in configs/" + DtlsTransport.PID + ".cfg)");
            return;
        }
        long cid = keys.readCid().length > 0 ? handshake.connectionId : 0;
        ServerSession session = new ServerSession(this, handshake.peer, keys, record, handshake.sent.finalFlight(), cid,
                owner.settings().maxPacketSize());
        ServerSession previous = peers.session(handshake.peer);
        if (previous != null) {
            settle(previous, session);
        }
        peers.add(session);
        drops.handshakes++;
        LOG.log(Level.INFO, "client '" + session.peerIdentity() + "' connected from " + handshake.peer + " ("
                + keys.suiteName() + ", " + handshake.crypto.name() + " backend" + (cid != 0 ? ", connection ID" : "") + ")");
        try {
            handler.opened(session);
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            LOG.log(Level.WARNING, "the session handler failed on a new session: " + e, e);
        }
        for (byte[] d = handshake.leftover(); d != null && !session.reported; d = handshake.leftover()) {
            session.receive(handshake.peer, d, 0, d.length, plain);
        }
    }

    /**
     * The session that had the address of a newly authenticated one. The same identity: replaced
     * (closed before opened, so the relay can hand the same tunnel address over). Another identity:
     * never ended by it (RFC 9146 6; WireGuard's handshakes never touch another peer), only
     * unfiled from the address; it keeps its connection ID and ends by its idle timeout.
     */
    private void settle(ServerSession previous, ServerSession next) {
        if (previous.peerIdentity().equals(next.peerIdentity())) {
            previous.retire();
            remove(previous, "replaced by a new handshake of the same client");
        } else {
            peers.unfile(previous);
            LOG.log(Level.WARNING, "'" + next.peerIdentity() + "' completed a handshake from " + next.remoteAddress()
                    + ", the address of the session of '" + previous.peerIdentity() + "': that session stays (it"
                    + " ends when idle) but no longer receives by address");
        }
    }

    /** Event: a handshake failed or timed out (it logged why). */
    void failed(ServerHandshake handshake, boolean timedOut) {
        admission.failed(handshake, timedOut);
    }

    /**
     * Seals a data record of {@code session} into the server's batch, which holds one session's
     * records at a time, and unless {@code more} sends it. The caller holds the session's write lock.
     */
    void send(ServerSession session, RecordLayer record, byte[] buf, int off, int len, boolean more) throws IOException {
        synchronized (batch) {
            batch.add(session, session.remoteAddress(), record, buf, off, len);
            if (!more) {
                batch.send();
            }
        }
    }

    /** Sends the records of {@code session} that wait in the batch, if any. */
    void flush(ServerSession session) throws IOException {
        synchronized (batch) {
            batch.send(session);
        }
    }

    /**
     * A record of epoch 0 from an address with a session: a new handshake, or a lost final flight.
     * A ClientHello with a valid cookie starts a handshake beside the session, which lives on until
     * the new one authenticates (RFC 6347 4.2.8): a replayed ClientHello or a failed handshake leaves it as it was.
     * It does so even while the session awaits its client's first record: a resent last flight begins with a Certificate.
     */
    void epochZero(ServerSession session, InetSocketAddress from, byte[] buf, int off, int len) {
        ServerHandshake running = peers.handshake(from);
        if (running != null) {
            admission.queue(running, buf, off, len);
        } else if (Cookies.isClientHello(buf, off, len)) {
            admission.clientHello(from, buf, off, len);
        } else if (session.awaitsConfirmation()) {
            session.resendFinalFlight();
        } else {
            drops.wrongEpoch++;
        }
    }

    /** A session's newest authenticated record came from a new address: follow it (RFC 9146 6). */
    void roam(ServerSession session, InetSocketAddress to) {
        InetSocketAddress from = session.remoteAddress();
        ServerSession displaced = peers.move(session, to);
        LOG.log(Level.INFO, "client '" + session.peerIdentity() + "' moved from " + from + " to " + to
                + " (its path answered a return-routability check)");
        if (displaced != null) {
            // Never end another session for this (RFC 9146 6): it keeps its connection ID and its idle timeout.
            LOG.log(Level.INFO, "the session of '" + displaced.peerIdentity() + "' no longer receives by address: "
                    + to + " answers for '" + session.peerIdentity() + "' now");
        }
    }

    void deliver(ServerSession session, byte[] packet, int len) {
        try {
            handler.received(session, packet, 0, len);
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            LOG.log(Level.DEBUG, "the session handler failed on a packet", e);
        }
    }

    /** Tells the client (unless it was told), drops the session and tells the handler, once. Receive thread. */
    void remove(ServerSession session, String reason) {
        if (session.reported) {
            return;
        }
        session.reported = true;
        session.end(Alerts.WARNING, AlertDescription.close_notify);
        peers.remove(session);
        LOG.log(Level.INFO, "session of '" + session.peerIdentity() + "' at " + session.remoteAddress() + " ended: " + reason);
        try {
            handler.closed(session, reason);
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            LOG.log(Level.WARNING, "the session handler failed on a closed session: " + e, e);
        }
    }

    /** Re-checks every session against new trust (CA, CRL) and ends those it refuses. Any thread. */
    void revalidate(Credentials trust) {
        post(() -> {
            for (ServerSession s : peers.sessions()) {
                try {
                    PeerCheck.verify(trust, s.keys().peer().chain(), PeerCheck.Role.CLIENT, null, List.of());
                } catch (Refusal r) {
                    LOG.log(Level.WARNING, "ending the session of '" + s.peerIdentity() + "': " + r.reason());
                    s.end(Alerts.FATAL, r.getAlertDescription());
                    remove(s, r.reason());
                }
            }
        });
    }

    private void runEvents() {
        for (Runnable event = events.poll(); event != null; event = events.poll()) {
            try {
                event.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "a DTLS server event failed: " + e, e);
            }
        }
    }

    private void tick(long now) {
        DtlsSettings settings = owner.settings();
        long idle = settings.idleTimeout().toNanos();
        for (ServerSession s = peers.nextIdle(now, idle); s != null; s = peers.nextIdle(now, idle)) {
            remove(s, "no packets from the client for " + settings.idleTimeout().toSeconds() + " s");
        }
        admission.tick(now);
    }

    private void shutdown() {
        runEvents();
        for (ServerSession s : peers.sessions()) {
            remove(s, "the server is shutting down");
        }
        admission.close();
        peers.clear();
        udp.close();
        owner.forget(this);
        LOG.log(Level.INFO, "DTLS server on " + local + " closed; " + drops);
    }
}

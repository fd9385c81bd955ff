package org.minivpn.transport.dtls;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSRequest;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;

/**
 * A DTLS server: one UDP socket, one receive thread that demultiplexes every datagram to its
 * session (by connection ID, else by source address), and a bounded pool that runs handshakes.
 *
 * <pre>
 *   UDP socket ─receive→ [dtls-rx-PORT] ─┬─ CID or address of a session → open record → handler.received
 *                                         ├─ address of a handshake ──────→ its queue → [dtls-handshake-PORT-n]
 *                                         └─ unknown: ClientHello? cookie (stateless) → new handshake
 *   relay thread ─Session.send→ seal record ─→ UDP socket
 * </pre>
 *
 * <p>The receive thread alone changes the {@link Peers} tables; handshake threads and closers post
 * events to it. A new client costs no state until it echoes a cookie ({@link Cookies}); garbage,
 * strangers, forgeries, replays and oversized records are dropped and counted in {@link #drops}.
 */
final class DtlsServer implements TransportServer {

    private static final Logger LOG = DtlsTransport.LOG;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    final DropCounters drops = new DropCounters();
    private final DtlsTransport owner;
    private final SessionHandler handler;
    private final UdpChannel udp;
    private final InetSocketAddress local;
    private final ThreadPoolExecutor handshakePool;
    private final Thread receiver;
    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;

    // receive thread only
    private final Peers peers = new Peers();
    private final Cookies cookies;
    private final byte[] rx = new byte[65536];
    private final ByteBuffer rxBuffer = ByteBuffer.wrap(rx);
    private final byte[] plain = new byte[DtlsSettings.MAX_RECORD_PLAINTEXT + 2048];
    private long lastCredentialWarning;

    private final RecordBatch batch; // data records of one session at a time; guarded by itself

    private DtlsServer(DtlsTransport owner, UdpChannel udp, SessionHandler handler) throws IOException {
        this.owner = owner;
        this.udp = udp;
        this.handler = handler;
        this.batch = new RecordBatch(udp, drops);
        this.local = udp.localAddress();
        this.cookies = new Cookies(this, owner.cryptoState());
        int threads = owner.settings().handshakeThreads();
        AtomicInteger count = new AtomicInteger();
        this.handshakePool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, owner.settings().maxHandshakes())), r -> {
                    Thread t = new Thread(r, "dtls-handshake-" + local.getPort() + "-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        handshakePool.allowCoreThreadTimeOut(true);
        this.receiver = new Thread(this::run, "dtls-rx-" + local.getPort());
        this.receiver.setDaemon(true);
    }

    /** Binds {@code bind} and starts the receive thread. */
    static DtlsServer start(DtlsTransport owner, InetSocketAddress bind, SessionHandler handler) throws IOException {
        UdpChannel udp = UdpChannel.bind(bind);
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
        handshakePool.shutdownNow();
        if (receiver.isAlive() && Thread.currentThread() != receiver) {
            udp.close(); // a handler that blocks must not keep the socket
        }
    }

    @Override
    public String toString() {
        return "DTLS server on " + local + ": " + peers.snapshot().size() + " sessions; " + drops;
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
        } catch (IOException e) {
            // the peer retransmits, or the handshake times out
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
        if (len < RecordLayer.HEADER) {
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
                queue(h, len);
            } else {
                drops.unknownPeer++;
            }
            return;
        }
        ServerSession session = peers.session(from);
        if (session != null) {
            session.receive(from, rx, 0, len, plain);
            return;
        }
        ServerHandshake handshake = peers.handshake(from);
        if (handshake != null) {
            queue(handshake, len);
            return;
        }
        if (!Cookies.isClientHello(rx, 0, len)) {
            drops.unknownPeer++;
            return;
        }
        DTLSRequest request = verifyCookie(from, rx, 0, len);
        if (request != null) {
            begin(from, request);
        }
    }

    private void queue(ServerHandshake handshake, int len) {
        if (len <= ClientHandshakeChannel.MAX_DATAGRAM) {
            offer(handshake, 0, len);
            return;
        }
        // Datagrams the kernel merged (UDP_GRO): the handshake gets their records one by one.
        for (int off = 0; off < len; ) {
            int n = RecordLayer.declaredLength(rx, off, len - off, Peers.CID_LENGTH);
            if (n <= 0 || n > ClientHandshakeChannel.MAX_DATAGRAM) {
                drops.oversized++;
                return;
            }
            offer(handshake, off, n);
            off += n;
        }
    }

    private void offer(ServerHandshake handshake, int off, int len) {
        if (!handshake.offer(rx, off, len)) {
            drops.busy++;
        }
    }

    private DTLSRequest verifyCookie(InetSocketAddress from, byte[] buf, int off, int len) {
        DTLSRequest request = cookies.verify(from, buf, off, len);
        if (request == null) {
            drops.cookies++;
        }
        return request;
    }

    /** A client echoed its cookie: start its handshake on the pool, if there is room. */
    private void begin(InetSocketAddress from, DTLSRequest request) {
        DtlsSettings settings = owner.settings();
        if (peers.handshakeCount() >= settings.maxHandshakes()) {
            drops.busy++;
            return;
        }
        Credentials credentials = owner.credentials();
        CryptoState crypto = owner.currentCrypto();
        if (credentials.problem() != null || crypto == null) {
            drops.handshakeFailures++;
            warnNoCredentials(crypto == null ? DtlsTransport.NO_BACKEND : credentials.problem());
            return;
        }
        long cid = peers.newConnectionId();
        byte[] cidBytes = new byte[Peers.CID_LENGTH];
        RecordLayer.putLong(cidBytes, 0, cid);
        int timeoutMillis = (int) settings.handshakeTimeout().toMillis();
        ServerPeer peer = new ServerPeer(crypto, credentials, cidBytes, timeoutMillis);
        ServerHandshake handshake = new ServerHandshake(this, from, cid, peer, request, crypto, timeoutMillis);
        peers.add(handshake);
        try {
            handshakePool.execute(handshake);
        } catch (RejectedExecutionException e) {
            peers.remove(handshake);
            drops.busy++;
        }
    }

    /** Event: a handshake finished; the client becomes a session. */
    void established(ServerHandshake handshake, SessionKeys keys) {
        if (closing || !peers.remove(handshake)) {
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

    /** Event: a handshake failed or timed out (it logged why). */
    void failed(ServerHandshake handshake, boolean timedOut) {
        peers.remove(handshake);
        drops.handshakeFailures++;
        if (timedOut) {
            drops.handshakeTimeouts++;
        }
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

    /** A record of epoch 0 from an address with a session: a restarted client, or a lost final flight. */
    void epochZero(ServerSession session, InetSocketAddress from, byte[] buf, int off, int len) {
        if (session.awaitsConfirmation()) {
            session.resendFinalFlight();
        } else if (Cookies.isClientHello(buf, off, len)) {
            // Only a client that can answer at this address gets to replace the session.
            DTLSRequest request = verifyCookie(from, buf, off, len);
            if (request != null) {
                remove(session, "the client started a new handshake");
                begin(from, request);
            }
        } else {
            drops.wrongEpoch++;
        }
    }

    /** A session's newest authenticated record came from a new address: follow it (RFC 9146 6). */
    void roam(ServerSession session, InetSocketAddress to) {
        InetSocketAddress from = session.remoteAddress();
        ServerSession displaced = peers.move(session, to);
        LOG.log(Level.INFO, "client '" + session.peerIdentity() + "' moved from " + from + " to " + to);
        if (displaced != null) {
            remove(displaced, "its address " + to + " now belongs to the session of '" + session.peerIdentity() + "'");
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
        for (ServerSession s : peers.sessions()) {
            if (now - s.lastReceive > idle) {
                remove(s, "no packets from the client for " + settings.idleTimeout().toSeconds() + " s");
            }
        }
        for (ServerHandshake h : peers.handshakes()) {
            if (h.isOverdue(now, settings.handshakeTimeout().toNanos())) {
                h.abandon();
                LOG.log(Level.WARNING, "handshake with " + h.peer + " hung past its timeout and was abandoned");
                failed(h, true);
            }
        }
        cookies.renewIfOld(now, owner.currentCrypto());
    }

    private void shutdown() {
        runEvents();
        for (ServerSession s : peers.sessions()) {
            remove(s, "the server is shutting down");
        }
        for (ServerHandshake h : peers.handshakes()) {
            h.abandon();
        }
        peers.clear();
        udp.close();
        handshakePool.shutdownNow();
        owner.forget(this);
        LOG.log(Level.INFO, "DTLS server on " + local + " closed; " + drops);
    }

    private void warnNoCredentials(String problem) {
        long now = System.nanoTime();
        if (lastCredentialWarning == 0 || now - lastCredentialWarning > TimeUnit.MINUTES.toNanos(1)) {
            lastCredentialWarning = now;
            LOG.log(Level.WARNING, "refusing new clients: " + problem);
        }
    }
}

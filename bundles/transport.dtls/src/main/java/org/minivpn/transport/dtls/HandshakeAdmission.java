package org.minivpn.transport.dtls;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.DTLSRequest;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/**
 * Who gets a handshake on a {@link DtlsServer}, in the order of the checks:
 * <ol>
 *   <li>the stateless cookie exchange of RFC 6347 4.2.1 ({@link Cookies}): until a client echoes
 *       its cookie it costs nothing, so a spoofed address gets no further;
 *   <li>per-source limits after WireGuard's device/ratelimiter.go ({@link SourceLimiter}): a token
 *       bucket on starting handshakes and a cap on handshakes in flight, per IPv4 address or IPv6 /64;
 *   <li>a place among {@code handshake.max}: when full, the handshake that has waited longest
 *       (at least {@link #STALLED}) for its peer is abandoned for the new client, as a stalled peer
 *       has shown nothing that a ready one has not; else the new client is dropped and retries.
 * </ol>
 * Handshakes run on threads that start on demand up to {@code handshake.max}, so one that waits
 * for a silent peer never keeps a ready client from a thread. Under pressure (more than half of
 * {@code handshake.max} in flight) every handshake's deadline comes down to
 * {@code handshake.pressure.timeout}, as WireGuard answers load with cookies instead of work.
 *
 * <p>Receive thread only, like the {@link Peers} tables it changes.
 */
final class HandshakeAdmission {

    /** A handshake that has waited this long for its peer may be evicted; a ready peer answers within a round trip. */
    static final long STALLED = TimeUnit.SECONDS.toNanos(1);
    private static final long WARN_EVERY = TimeUnit.MINUTES.toNanos(1);

    private final DtlsServer server;
    private final DtlsTransport owner;
    private final Peers peers;
    private final DropCounters drops;
    private final Cookies cookies;
    private final SourceLimiter sources;
    private final ThreadPoolExecutor pool;
    private long lastCredentialWarning;
    private long lastEvictionNote;

    HandshakeAdmission(DtlsServer server, DtlsTransport owner, Peers peers, DropCounters drops, CryptoState crypto) {
        this.server = server;
        this.owner = owner;
        this.peers = peers;
        this.drops = drops;
        this.cookies = new Cookies(server, crypto);
        this.sources = new SourceLimiter(drops);
        DtlsSettings settings = owner.settings();
        String prefix = "dtls-handshake-" + server.localAddress().getPort() + "-";
        AtomicInteger count = new AtomicInteger();
        // No queue: a handshake gets a thread at once, or is refused (the receive thread never waits).
        this.pool = new ThreadPoolExecutor(settings.handshakeThreads(), poolSize(settings), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Threads beyond {@code handshake.max}: evicted handshakes may still be unwinding on theirs. */
    private static int poolSize(DtlsSettings settings) {
        return settings.maxHandshakes() + settings.handshakeThreads();
    }

    /**
     * A ClientHello from an address that has no handshake: answered with a HelloVerifyRequest when
     * its cookie is missing or wrong, else a new handshake if the admission checks let it in.
     */
    void clientHello(InetSocketAddress from, byte[] buf, int off, int len) {
        DTLSRequest request = cookies.verify(from, buf, off, len);
        if (request == null) {
            drops.cookies++;
            return;
        }
        DtlsSettings settings = owner.settings();
        Credentials credentials = owner.credentials();
        CryptoState crypto = owner.currentCrypto();
        if (credentials.serverProblem() != null || crypto == null) {
            drops.handshakeFailures++;
            warnNoCredentials(crypto == null ? DtlsTransport.NO_BACKEND : credentials.serverProblem());
            return;
        }
        long now = System.nanoTime();
        HandshakeLimits limits = settings.limits();
        if (!sources.admit(from.getAddress(), now, limits)) {
            return;
        }
        if (peers.handshakeCount() >= settings.maxHandshakes() && !evictStalled(now, settings)) {
            sources.release(from.getAddress());
            drops.busy++;
            return;
        }
        boolean pressure = peers.handshakeCount() + 1 > settings.maxHandshakes() / 2;
        long timeout = settings.handshakeTimeout().toMillis();
        int timeoutMillis = (int) (pressure ? Math.min(timeout, limits.pressureTimeout().toMillis()) : timeout);
        long cid = peers.newConnectionId();
        byte[] cidBytes = new byte[Peers.CID_LENGTH];
        RecordLayer.putLong(cidBytes, 0, cid);
        ServerPeer peer = new ServerPeer(crypto, credentials, cidBytes, timeoutMillis);
        ServerHandshake handshake = new ServerHandshake(server, from, cid, peer, request, crypto, timeoutMillis);
        peers.add(handshake);
        resize(settings);
        try {
            pool.execute(handshake);
        } catch (RejectedExecutionException e) {
            finish(handshake);
            drops.busy++;
            return;
        }
        if (pressure) {
            shortenAll(now, limits);
        }
    }

    /**
     * Whether a record from an address with both a session and a new handshake goes to the
     * handshake: handshake messages and ChangeCipherSpec, of either epoch (the new Finished is of
     * epoch 1 too). Data and alerts stay with the session until the new one authenticates.
     */
    static boolean takes(int recordType) {
        return recordType == RecordLayer.HANDSHAKE || recordType == RecordLayer.CHANGE_CIPHER_SPEC;
    }

    /** Hands a datagram, or the records of datagrams the kernel merged (UDP_GRO), to a running handshake. */
    void queue(ServerHandshake handshake, byte[] buf, int off, int len) {
        if (len <= ClientHandshakeChannel.MAX_DATAGRAM) {
            offer(handshake, buf, off, len);
            return;
        }
        for (int end = off + len; off < end; ) {
            int n = RecordLayer.declaredLength(buf, off, end - off, Peers.CID_LENGTH);
            if (n <= 0 || n > ClientHandshakeChannel.MAX_DATAGRAM) {
                drops.oversized++;
                return;
            }
            offer(handshake, buf, off, n);
            off += n;
        }
    }

    private void offer(ServerHandshake handshake, byte[] buf, int off, int len) {
        if (!handshake.offer(buf, off, len)) {
            drops.busy++;
        }
    }

    /** Takes a handshake out of the tables and gives its source its place back; false when that happened already. */
    boolean finish(ServerHandshake handshake) {
        if (!peers.remove(handshake)) {
            return false;
        }
        sources.release(handshake.peer.getAddress());
        return true;
    }

    /** A handshake failed or timed out (it logged why); counted once, and not at all when it was evicted. */
    void failed(ServerHandshake handshake, boolean timedOut) {
        if (finish(handshake)) {
            drops.handshakeFailures++;
            if (timedOut) {
                drops.handshakeTimeouts++;
            }
        }
    }

    /** Every 200 ms: abandons handshakes whose thread hangs, shortens deadlines under pressure, forgets idle sources. */
    void tick(long now) {
        DtlsSettings settings = owner.settings();
        for (ServerHandshake h : peers.handshakes()) {
            if (h.isOverdue(now, settings.handshakeTimeout().toNanos())) {
                h.abandon("it hung past its timeout");
                DtlsTransport.LOG.log(Level.WARNING, "handshake with " + h.peer + " hung past its timeout and was abandoned");
                failed(h, true);
            }
        }
        if (peers.handshakeCount() > settings.maxHandshakes() / 2) {
            shortenAll(now, settings.limits());
        }
        sources.tick(now, settings.limits());
        cookies.renewIfOld(now, owner.currentCrypto());
    }

    /** Abandons every handshake and stops the threads. */
    void close() {
        for (ServerHandshake h : peers.handshakes()) {
            h.abandon("the server is closing");
        }
        stopThreads();
    }

    /** Interrupts the handshake threads and lets no new one start. Any thread. */
    void stopThreads() {
        pool.shutdownNow();
    }

    /** Handshakes in flight. Exact on the receive thread, recent elsewhere. */
    int handshakes() {
        return peers.handshakeCount();
    }

    /** Threads that exist now, running a handshake or idle. */
    int threads() {
        return pool.getPoolSize();
    }

    /** Threads running a handshake now (an abandoned one until it has unwound). */
    int busyThreads() {
        return pool.getActiveCount();
    }

    /** Handshakes in flight from the IPv4 address or IPv6 /64 of {@code from}. */
    int inFlight(InetSocketAddress from) {
        return sources.inFlight(from.getAddress());
    }

    /** Sources in the per-source table. */
    int trackedSources() {
        return sources.size();
    }

    /** Abandons the handshake that has waited longest for its peer, if one has waited at least {@link #STALLED}. */
    private boolean evictStalled(long now, DtlsSettings settings) {
        ServerHandshake oldest = null;
        long longest = STALLED - 1;
        for (ServerHandshake h : peers.handshakes()) {
            long stalled = h.stalledNanos(now);
            if (stalled > longest) {
                oldest = h;
                longest = stalled;
            }
        }
        if (oldest == null) {
            return false;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(longest);
        oldest.abandon("evicted for a new client after waiting " + millis + " ms for this one");
        finish(oldest);
        drops.evicted++;
        if (lastEvictionNote == 0 || now - lastEvictionNote >= WARN_EVERY) {
            lastEvictionNote = now;
            DtlsTransport.LOG.log(Level.WARNING, "all " + settings.maxHandshakes() + " handshake places (handshake.max) are"
                    + " taken: evicting those that wait longest for their clients, first " + oldest.peer.getAddress()
                    .getHostAddress() + ":" + oldest.peer.getPort() + " after " + millis + " ms");
        }
        return true;
    }

    private void shortenAll(long now, HandshakeLimits limits) {
        long latest = now + limits.pressureTimeout().toNanos();
        for (ServerHandshake h : peers.handshakes()) {
            h.shorten(latest);
        }
    }

    /** Follows a live change of handshake.threads or handshake.max. */
    private void resize(DtlsSettings settings) {
        int core = settings.handshakeThreads();
        int max = poolSize(settings);
        if (max >= pool.getMaximumPoolSize()) {
            pool.setMaximumPoolSize(max);
            pool.setCorePoolSize(core);
        } else {
            pool.setCorePoolSize(core);
            pool.setMaximumPoolSize(max);
        }
    }

    private void warnNoCredentials(String problem) {
        long now = System.nanoTime();
        if (lastCredentialWarning == 0 || now - lastCredentialWarning > WARN_EVERY) {
            lastCredentialWarning = now;
            DtlsTransport.LOG.log(Level.WARNING, "refusing new clients: " + problem);
        }
    }
}

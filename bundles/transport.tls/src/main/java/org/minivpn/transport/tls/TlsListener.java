package org.minivpn.transport.tls;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsServerProtocol;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Alerts;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.Refusal;

/**
 * A TCP listener whose connections become {@link TlsSession}s. Bounded as an exposed service must
 * be: at most {@code handshake.max} handshakes at once (a further connection is closed at once, as
 * WireGuard answers no handshake it cannot afford), each closed after {@code handshake.timeout}
 * whatever the peer trickles, and no per-client state before a connection is accepted.
 */
final class TlsListener implements TransportServer {

    private final TlsTransport transport;
    private final ServerSocket socket;
    private final SessionHandler handler;
    private final TlsSettings settings;
    private final Thread acceptor;
    private final ThreadPoolExecutor handshakes;
    private final AtomicInteger inHandshake = new AtomicInteger();
    private final Set<TlsSession> sessions = ConcurrentHashMap.newKeySet();
    private final Set<Socket> pending = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private TlsListener(TlsTransport transport, ServerSocket socket, SessionHandler handler, TlsSettings settings) {
        this.transport = transport;
        this.socket = socket;
        this.handler = handler;
        this.settings = settings;
        this.handshakes = new ThreadPoolExecutor(0, settings.maxHandshakes(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "tls-handshake-" + socket.getLocalPort());
                    t.setDaemon(true);
                    return t;
                });
        this.acceptor = new Thread(this::accept, "tls-accept-" + socket.getLocalPort());
        acceptor.setDaemon(true);
    }

    static TlsListener start(TlsTransport transport, InetSocketAddress bind, SessionHandler handler, TlsSettings settings)
            throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(bind, 128);
            s.setSoTimeout(500); // so close() is seen within a second
        } catch (IOException e) {
            s.close();
            throw e;
        }
        TlsListener l = new TlsListener(transport, s, handler, settings);
        for (String k : List.of("handshakes.ok", "handshakes.failed", "handshakes.timeout", "handshakes.busy",
                "dropped.queue_full")) {
            l.counters.put(k, new LongAdder());
        }
        l.acceptor.start();
        return l;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public List<Session> sessions() {
        return List.copyOf(sessions);
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : pending) {
            closeQuietly(s);
        }
        for (TlsSession s : sessions) {
            s.close();
        }
        handshakes.shutdownNow();
        transport.forget(this);
        TlsTransport.LOG.log(Level.INFO, "TLS server on " + socket.getLocalSocketAddress() + " closed; " + counters());
    }

    /** Called about once a second from the transport's timer. */
    void checkWrites(long now) {
        for (TlsSession s : sessions) {
            s.checkWrite(now);
        }
    }

    private void accept() {
        while (!closed.get()) {
            Socket s;
            try {
                s = socket.accept();
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                if (!closed.get()) {
                    TlsTransport.LOG.log(Level.WARNING, "TLS server on " + socket.getLocalSocketAddress()
                            + " cannot accept: " + e.getMessage());
                    sleepQuietly();
                }
                continue;
            }
            if (inHandshake.incrementAndGet() > settings.maxHandshakes()) {
                inHandshake.decrementAndGet();
                count("handshakes.busy");
                closeQuietly(s);
                continue;
            }
            try {
                handshakes.execute(() -> handshake(s));
            } catch (RejectedExecutionException e) {
                inHandshake.decrementAndGet();
                count("handshakes.busy");
                closeQuietly(s);
            }
        }
    }

    private void handshake(Socket s) {
        pending.add(s);
        InetSocketAddress from = (InetSocketAddress) s.getRemoteSocketAddress();
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> deadline = TlsTransport.TIMER.schedule(() -> {
            timedOut.set(true);
            closeQuietly(s);
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        boolean ok = false;
        try {
            Credentials c = transport.credentials();
            String problem = c.serverProblem();
            if (problem != null) {
                throw new IOException(problem);
            }
            CryptoState crypto = transport.cryptoState();
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) settings.handshakeTimeout().toMillis());
            TlsServerProtocol protocol = new TlsServerProtocol(keepOpen(s.getInputStream()), halfClosing(s));
            TlsServerPeer peer = new TlsServerPeer(crypto, c);
            protocol.accept(peer);
            protocol.getOutputStream().write(new byte[2]); // the empty frame: admitted
            if (!deadline.cancel(false) || closed.get()) {
                throw new SocketTimeoutException("handshake timed out");
            }
            s.setSoTimeout((int) settings.idleTimeout().toMillis());
            String identity = peer.client().identity();
            TlsSession session = new TlsSession(s, protocol, new TlsSession.Info(identity, from,
                    Tls13.name(peer.cipherSuite()), crypto.name(), identity + "-" + from.getPort()), settings, handler,
                    this::ended);
            sessions.add(session);
            ok = true;
            count("handshakes.ok");
            TlsTransport.LOG.log(Level.INFO, "TLS session with '" + identity + "' from " + from + " ("
                    + Tls13.name(peer.cipherSuite()) + ", " + crypto.name() + ")");
            session.start();
        } catch (IOException | RuntimeException e) {
            failed(from, timedOut.get(), e);
        } finally {
            deadline.cancel(false);
            pending.remove(s);
            inHandshake.decrementAndGet();
            if (!ok) {
                lingeringClose(s);
            }
        }
    }

    /**
     * Closes a refused connection so that the client reads our alert: half-close, then read and
     * discard what the client still sends for up to a second. Closing with unread data would send a
     * TCP reset, and the client would see "connection reset" instead of why (nginx's lingering_close).
     */
    private static void lingeringClose(Socket s) {
        try {
            if (!s.isClosed()) {
                s.shutdownOutput();
                s.setSoTimeout(250);
                byte[] sink = new byte[4096];
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                InputStream in = s.getInputStream();
                while (System.nanoTime() < end && in.read(sink) >= 0) {
                    // discard
                }
            }
        } catch (IOException e) {
            // closing anyway
        } finally {
            closeQuietly(s);
        }
    }

    /** The socket's input for Bouncy Castle, whose close on failure must not close the socket before {@link #lingeringClose}. */
    private static InputStream keepOpen(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
                // the listener or the session closes the socket
            }
        };
    }

    /** The socket's output for Bouncy Castle: closing it half-closes the connection (FIN after close_notify or an alert). */
    private static OutputStream halfClosing(Socket s) throws IOException {
        return new FilterOutputStream(s.getOutputStream()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                s.shutdownOutput();
            }
        };
    }

    /** Counts and logs a failed handshake; a deadline that closed the socket is a timeout, whatever it threw. */
    private void failed(InetSocketAddress from, boolean timedOut, Exception e) {
        if (timedOut || e instanceof SocketTimeoutException) {
            count("handshakes.timeout");
            TlsTransport.LOG.log(Level.DEBUG, "TLS handshake from " + from + " timed out");
        } else if (e instanceof Refusal r) {
            count("handshakes.failed");
            TlsTransport.LOG.log(Level.WARNING, "refused a TLS client from " + from + ": " + r.reason());
        } else if (e instanceof TlsFatalAlertReceived a) {
            count("handshakes.failed");
            TlsTransport.LOG.log(Level.INFO, "a TLS client from " + from + " refused this server: "
                    + Alerts.explain(a.getAlertDescription()));
        } else {
            count("handshakes.failed");
            TlsTransport.LOG.log(Level.INFO, "TLS handshake from " + from + " failed: " + e);
        }
    }

    private void ended(TlsSession s) {
        sessions.remove(s);
        counters.get("dropped.queue_full").add(s.droppedFull());
    }

    private void count(String key) {
        counters.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

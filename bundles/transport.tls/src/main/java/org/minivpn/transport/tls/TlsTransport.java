package org.minivpn.transport.tls;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.net.udp.SocketMark;
import org.minivpn.tls.trust.Alerts;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.Refusal;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * TLS 1.3 over TCP, for networks that let no UDP through: OpenVPN's TCP mode, ocserv's CSTP. The
 * same certificates, peer checks and identities as the DTLS transport ({@code org.minivpn.tls.trust}),
 * records framed on the stream by {@link TlsSession}. Ranked below DTLS (50 against 100): TCP inside
 * TCP suffers when the path loses packets, so it is the fallback, chosen by {@code -t tls} or
 * {@code transports = dtls, tls}. Not in the default bundle set: deploy {@code extras/} 's jar into
 * {@code deploy/}.
 */
@Component(service = Transport.class, configurationPid = {TlsTransport.DTLS_PID, TlsTransport.PID}, property = {
    Transport.TYPE + "=" + TlsTransport.TYPE, Transport.SECURE + ":Boolean=true", "service.ranking:Integer=50"})
public final class TlsTransport implements Transport {

    public static final String PID = "org.minivpn.transport.tls";
    /** Read first, so the certificate settings of the DTLS transport apply here too. */
    static final String DTLS_PID = "org.minivpn.transport.dtls";
    static final String TYPE = "tls";
    static final Logger LOG = System.getLogger("org.minivpn.transport.tls");
    /** Handshake deadlines, delayed closes and the once-a-second write check of every session. */
    static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-timer");
        t.setDaemon(true);
        return t;
    });

    private final Path home;
    private final Object reloadLock = new Object();
    private final Set<TlsListener> servers = ConcurrentHashMap.newKeySet();
    private final Set<TlsSession> clients = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> writeCheck;
    private volatile TlsSettings settings;
    private volatile Credentials credentials;
    private volatile CryptoState crypto;
    private volatile boolean stopped;

    @Activate
    public TlsTransport(BundleContext context, TlsConfig config) {
        this(home(context), TlsSettings.from(home(context), config));
    }

    TlsTransport(Path home, TlsSettings settings) {
        this.home = home;
        this.settings = settings;
        this.credentials = Credentials.load(settings.trust());
        LOG.log(credentials.problem() == null ? Level.INFO : Level.WARNING, "TLS credentials: " + credentials.summary());
        this.writeCheck = TIMER.scheduleWithFixedDelay(this::checkWrites, 1, 1, TimeUnit.SECONDS);
    }

    @Modified
    void modified(TlsConfig config) {
        settings = TlsSettings.from(home, config);
        synchronized (reloadLock) {
            credentials = Credentials.load(settings.trust());
        }
    }

    /** The crypto backend of new handshakes, as the DTLS transport's: greedy, the session keeps its own. */
    @Reference(name = "backend", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setBackend(CryptoBackend backend) {
        crypto = CryptoState.of(backend);
    }

    void unsetBackend(CryptoBackend backend) {
        CryptoState current = crypto;
        if (current != null && current.backend() == backend) {
            crypto = null;
        }
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        writeCheck.cancel(false);
        for (TlsListener s : new ArrayList<>(servers)) {
            s.close();
        }
        for (TlsSession c : new ArrayList<>(clients)) {
            c.close();
        }
    }

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * Connects over TCP and handshakes, both within {@code timeout}. A failure to reach the server
     * ({@link ConnectException}, {@link SocketTimeoutException}) is told apart from a refusal
     * ({@link TransportException}), so a client may fall back on the first and never on the second.
     * The server's "admitted" frame is awaited too: in TLS 1.3 a client finishes its handshake
     * before the server has checked its certificate (RFC 8446 4.4.4), so only that frame, or the
     * server's alert instead, says whether we are in.
     */
    @Override
    public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (server.isUnresolved()) {
            throw new UnknownHostException("cannot resolve the server name " + server.getHostString());
        }
        requireRunning();
        Credentials c = credentials();
        c.requireUsable();
        CryptoState cs = cryptoState();
        TlsSettings s = settings;
        InetSocketAddress target = s.port() > 0 ? new InetSocketAddress(server.getAddress(), s.port()) : server;
        long millis = Math.max(1, timeout.toMillis());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        Socket socket = open(target, s.socketMark());
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> watchdog = TIMER.schedule(() -> {
            timedOut.set(true);
            closeQuietly(socket);
        }, millis, TimeUnit.MILLISECONDS);
        boolean ok = false;
        try {
            socket.setTcpNoDelay(true);
            socket.connect(target, (int) millis);
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
            TlsClientPeer peer = new TlsClientPeer(cs, c, serverName, s.trust().pins());
            protocol.connect(peer);
            byte[] admitted = new byte[2];
            if (protocol.getInputStream().readNBytes(admitted, 0, 2) < 2 || admitted[0] != 0 || admitted[1] != 0) {
                throw new TransportException("the server at " + target + " did not admit this client (no TLS"
                        + " admission frame): is it a MiniVPN TLS server?");
            }
            if (!watchdog.cancel(false)) {
                throw new SocketTimeoutException("timed out");
            }
            socket.setSoTimeout((int) s.idleTimeout().toMillis());
            String identity = peer.server().identity();
            TlsSession session = new TlsSession(socket, protocol, new TlsSession.Info(identity, target,
                    Tls13.name(peer.cipherSuite()), cs.name(), "client"), s, handler, clients::remove);
            clients.add(session);
            ok = true;
            LOG.log(Level.INFO, "TLS session with '" + identity + "' at " + target + " (" + session.cipherSuite() + ", "
                    + cs.name() + ")");
            session.start();
            return session;
        } catch (Refusal e) {
            throw new TransportException("refused the server at " + target + ": " + e.reason(), e);
        } catch (TlsFatalAlertReceived e) {
            throw new TransportException("the server at " + target + " refused this client: "
                    + Alerts.explain(e.getAlertDescription()), e);
        } catch (ConnectException e) {
            throw new ConnectException("nothing accepts TCP connections at " + target + " (" + e.getMessage()
                    + "): is the server's TLS transport deployed, and TCP port " + target.getPort() + " open?");
        } catch (SocketTimeoutException | SocketException | EOFException | ClosedChannelException e) {
            // the watchdog's close ends a blocked channel read with AsynchronousCloseException
            if (timedOut.get() || e instanceof SocketTimeoutException) {
                throw new SocketTimeoutException("no TLS session with " + target + " within " + millis + " ms");
            }
            throw new IOException("the TLS connection to " + target + " failed: " + e.getMessage(), e);
        } finally {
            watchdog.cancel(false);
            if (!ok) {
                closeQuietly(socket);
            }
        }
    }

    /** Listens on {@code bind}, or on its address and the configured {@code port} when that is set. */
    @Override
    public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
        requireRunning();
        credentials().requireUsableAsServer();
        cryptoState();
        TlsSettings s = settings;
        InetSocketAddress at = s.port() > 0 ? new InetSocketAddress(bind.getAddress(), s.port()) : bind;
        TlsListener l = TlsListener.start(this, at, handler, s);
        servers.add(l);
        LOG.log(Level.INFO, "TLS server listening on TCP " + l.localAddress());
        return l;
    }

    /** The current credentials, re-read first when a file changed. */
    Credentials credentials() {
        synchronized (reloadLock) {
            if (credentials.isStale()) {
                credentials = Credentials.load(settings.trust());
                LOG.log(Level.INFO, "TLS credentials re-read: " + credentials.summary());
            }
            return credentials;
        }
    }

    CryptoState cryptoState() throws TransportException {
        CryptoState c = crypto;
        if (c == null) {
            throw new TransportException("no crypto backend is available: add org.minivpn.crypto.jca to the appliance,"
                    + " or fix backend.target in configs/" + PID + ".cfg");
        }
        return c;
    }

    void forget(TlsListener l) {
        servers.remove(l);
    }

    private void checkWrites() {
        long now = System.nanoTime();
        for (TlsListener l : servers) {
            l.checkWrites(now);
        }
        for (TlsSession c : clients) {
            c.checkWrite(now);
        }
    }

    private void requireRunning() throws TransportException {
        if (stopped) {
            throw new TransportException("the TLS transport is stopping");
        }
    }

    /**
     * A blocking TCP socket of a {@link SocketChannel}, marked ({@code socket.mark}) before it
     * connects: under the route configurator's policy routing (wg-quick's) every unmarked packet goes
     * into the tunnel, so an unmarked connection to the server would be routed through the tunnel it
     * carries. The channel's socket adaptor keeps {@link Socket}'s connect and read timeouts.
     */
    private static Socket open(InetSocketAddress target, int mark) throws IOException {
        SocketChannel channel = SocketChannel.open(target.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            SocketMark.apply(channel, mark, LOG);
            return channel.socket();
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static Path home(BundleContext context) {
        String home = context.getProperty("minivpn.home");
        return Path.of(home == null ? "" : home).toAbsolutePath();
    }
}

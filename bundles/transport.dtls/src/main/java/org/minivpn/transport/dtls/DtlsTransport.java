package org.minivpn.transport.dtls;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.net.udp.SocketMark;
import org.minivpn.net.udp.UdpChannel;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;
import org.minivpn.tls.trust.PeerCheck;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The DTLS 1.2 transport: mutual X.509 authentication, ECDHE with AEAD suites, cookies before any
 * per-client state, connection IDs for clients that change address. Handshakes run on Bouncy
 * Castle with the selected {@link CryptoBackend}; records are then protected by {@link RecordLayer}
 * with the same backend's ciphers.
 *
 * <p>It activates without certificates (the appliance runs before the user makes them); connect and
 * listen then fail with advice. Certificate files are re-read when they change: the next handshake
 * sees a new CRL, and live sessions whose peer the new CA or CRL refuses are ended.
 */
@Component(service = Transport.class, configurationPid = DtlsTransport.PID, property = {
    Transport.TYPE + "=" + DtlsTransport.TYPE, Transport.SECURE + ":Boolean=true", "service.ranking:Integer=100"})
@Designate(ocd = DtlsConfig.class)
public final class DtlsTransport implements Transport {

    public static final String PID = "org.minivpn.transport.dtls";
    static final String TYPE = "dtls";
    static final Logger LOG = System.getLogger("org.minivpn.transport.dtls");
    static final String NO_BACKEND = "no crypto backend is available: add org.minivpn.crypto.jca to the appliance,"
            + " or fix backend.target in configs/" + PID + ".cfg";

    private final Path home;
    private final ScheduledExecutorService watcher;
    private final Object reloadLock = new Object();
    private final Set<DtlsServer> servers = ConcurrentHashMap.newKeySet();
    private final Set<DtlsClientSession> clients = ConcurrentHashMap.newKeySet();
    private volatile DtlsSettings settings;
    private volatile int socketMark; // of new client sockets; 0 for none
    private volatile Credentials credentials;
    private volatile CryptoState crypto;
    private volatile boolean stopped;

    @Activate
    public DtlsTransport(BundleContext context, DtlsConfig config) {
        this(home(context), DtlsSettings.from(home(context), config));
        clientSocketMark(socketMark(config.socket_mark()));
    }

    DtlsTransport(Path home, DtlsSettings settings) {
        this.home = home;
        this.settings = settings;
        this.credentials = Credentials.load(settings.trust());
        report(null, credentials);
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dtls-credentials-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::watch, 1, 1, TimeUnit.SECONDS);
    }

    @Modified
    void modified(DtlsConfig config) {
        settings = DtlsSettings.from(home, config);
        clientSocketMark(socketMark(config.socket_mark()));
        reload();
    }

    /**
     * The crypto backend of new handshakes. Greedy and dynamic: a better-ranked or newly targeted
     * backend replaces the current one at once; sessions keep the backend they started with.
     */
    @Reference(name = "backend", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setBackend(CryptoBackend backend) {
        crypto = CryptoState.of(backend);
        LOG.log(Level.INFO, "new DTLS handshakes use the " + backend.name() + " crypto backend");
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
        watcher.shutdownNow();
        for (DtlsServer s : new ArrayList<>(servers)) {
            s.close();
        }
        for (DtlsClientSession c : new ArrayList<>(clients)) {
            c.close();
        }
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String cryptoBackend() {
        CryptoState c = crypto;
        return c == null ? "" : c.backend().name();
    }

    @Override
    public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(timeout, "timeout");
        if (server.isUnresolved()) {
            throw new UnknownHostException("cannot resolve the server name " + server.getHostString());
        }
        requireRunning();
        Credentials c = credentials();
        c.requireUsable();
        CryptoState cs = cryptoState();
        DtlsSettings s = settings;
        DtlsClientSession session = UdpChannel.marking(socketMark, () -> DtlsClientSession.handshake(this, c, cs, s,
                server, serverName, handler, timeout));
        clients.add(session);
        if (stopped) {
            session.close();
        }
        session.start();
        return session;
    }

    @Override
    public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(handler, "handler");
        requireRunning();
        credentials().requireUsableAsServer();
        DtlsServer server = DtlsServer.start(this, bind, handler);
        servers.add(server);
        LOG.log(Level.INFO, "DTLS server listening on " + server.localAddress() + " as '"
                + PeerCheck.identity(credentials.chain.get(0)) + "'");
        return server;
    }

    DtlsSettings settings() {
        return settings;
    }

    /** The current credentials, re-read first when a file changed. Any thread. */
    Credentials credentials() {
        Credentials c = credentials;
        if (c.isStale() && !stopped) {
            reload();
        }
        return credentials;
    }

    /** Once a second: notices changed certificate files, so a revoked peer's session ends without waiting for a handshake. */
    private void watch() {
        try {
            credentials();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "checking the certificate files failed: " + e, e); // and the next check runs anyway
        }
    }

    /** The backend for a new handshake; null when there is none. */
    CryptoState currentCrypto() {
        return crypto;
    }

    CryptoState cryptoState() throws TransportException {
        CryptoState c = crypto;
        if (c == null) {
            throw new TransportException(NO_BACKEND);
        }
        return c;
    }

    void forget(DtlsServer server) {
        servers.remove(server);
    }

    void forget(DtlsClientSession client) {
        clients.remove(client);
    }

    private void reload() {
        synchronized (reloadLock) {
            Credentials old = credentials;
            Credentials fresh = Credentials.load(settings.trust());
            credentials = fresh;
            report(old, fresh);
            if (old != null && !old.trustStamp.equals(fresh.trustStamp) && fresh.ca != null) {
                for (DtlsServer s : servers) {
                    s.revalidate(fresh);
                }
                for (DtlsClientSession c : clients) {
                    c.revalidate(fresh);
                }
            }
        }
    }

    private static void report(Credentials old, Credentials fresh) {
        String what = old == null ? "DTLS credentials: " : "DTLS credentials re-read: ";
        if (fresh.problem() == null && fresh.serverProblem() == null) {
            LOG.log(Level.INFO, what + fresh.summary());
        } else if (fresh.problem() == null) {
            LOG.log(Level.WARNING, what + fresh.summary() + "; a server refuses new clients: " + fresh.serverProblem());
        } else {
            LOG.log(Level.WARNING, what + fresh.problem());
        }
    }

    private void requireRunning() throws TransportException {
        if (stopped) {
            throw new TransportException("the DTLS transport is stopping");
        }
    }

    /** Sets the firewall mark of the client sockets of later connects; 0 for none. */
    void clientSocketMark(int mark) {
        socketMark = mark;
    }

    /** Parses {@code socket.mark} ({@link SocketMark#parse}): a bad value marks nothing, with a warning. */
    static int socketMark(String text) {
        return SocketMark.parse(text, "configs/" + PID + ".cfg", LOG);
    }

    private static Path home(BundleContext context) {
        String home = context.getProperty("minivpn.home");
        return Path.of(home == null ? "" : home).toAbsolutePath();
    }
}

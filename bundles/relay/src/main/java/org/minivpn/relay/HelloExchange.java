package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.minivpn.api.transport.Session;

/**
 * The client's side of what follows each handshake (see {@link Wire}): it sends HELLO and waits for
 * the server's CONFIG. A GOODBYE instead ends the wait with the server's reason. A server that pushes
 * nothing within the wait gets the client's own configuration, when it has one; when it sent no
 * control message at all (only IP packets, or nothing) it is a plain server, such as the original C
 * MiniVPN's, and {@link #plainServer()} says so: the client must send it no further control message.
 */
final class HelloExchange {

    private static final Logger LOG = System.getLogger(HelloExchange.class.getName());
    /** How often the HELLO is sent again while no CONFIG came. */
    static final long HELLO_RESEND_MILLIS = 500;

    private final ClientSettings settings;
    private volatile CompletableFuture<PushedConfig> pending = new CompletableFuture<>();
    private volatile String goodbye;
    private volatile boolean heardControl;
    private volatile boolean plainServer;

    HelloExchange(ClientSettings settings) {
        this.settings = settings;
    }

    /** Starts a new exchange, before its handshake: what the server says from now on belongs to it. */
    void begin() {
        goodbye = null;
        heardControl = false;
        plainServer = false;
        pending = new CompletableFuture<>();
    }

    /** A control record of any type arrived (the receive thread): the server is no plain one. */
    void heardControl() {
        heardControl = true;
    }

    /** True when the last {@link #await} ended without a CONFIG from a server that sent no control message. */
    boolean plainServer() {
        return plainServer;
    }

    /** A CONFIG record arrived (the receive thread). */
    void config(byte[] buf, int off, int len) {
        CompletableFuture<PushedConfig> f = pending;
        try {
            f.complete(PushedConfig.parse(Wire.parseConfig(buf, off, len), settings));
        } catch (RuntimeException e) {
            f.completeExceptionally(new IOException("the server pushed a configuration this client cannot use: "
                    + e.getMessage(), e));
        }
    }

    /** A GOODBYE arrived (the receive thread): a wait under way ends with the server's reason. */
    void goodbye(String reason) {
        goodbye = reason;
        pending.completeExceptionally(new IOException("the server refused the tunnel: " + reason));
    }

    /**
     * What a new session's tunnel is: a plain client takes its own configuration at once (a plain
     * server says nothing, so waiting would only delay the tunnel); otherwise the hello exchange's,
     * which may find the server to be a plain one: {@code keepalive} is then switched to plain for
     * good (until disconnect), and it is logged once.
     *
     * @param sendLock held while sending, as for every send on the session
     */
    PushedConfig configuration(Session s, Object sendLock, Keepalive keepalive, int previous4) throws IOException {
        if (keepalive.plain()) {
            return PushedConfig.local(settings);
        }
        PushedConfig pushed = await(s, sendLock, previous4);
        if (plainServer) {
            keepalive.speakPlainly();
            LOG.log(Level.WARNING, "the server answered the hello with no configuration and no control message within "
                    + settings.configWait().toMillis() + " ms: it is a plain server (like the original C MiniVPN's);"
                    + " from now on it is sent IP packets only, with the configured address " + settings.staticAddresses()
                    + ". Set plain = true in configs/org.minivpn.relay.client.cfg to skip the hello, which the original's"
                    + " server cannot take");
        }
        return pushed;
    }

    /**
     * Sends a hello on {@code s} and waits for the server's configuration.
     *
     * <p>The HELLO is sent again every {@value #HELLO_RESEND_MILLIS} ms until the CONFIG comes: on a
     * lossy path one lost datagram must not cost the session (the server answers each HELLO with the
     * same CONFIG; tools/loadgen does the same).
     *
     * @param sendLock held while sending, as for every send on the session
     * @param previous4 the IPv4 tunnel address held before this session, to ask for again (see
     *     {@link Wire}), or 0
     * @throws IOException with what to do when none came and none is configured, or the server refused
     */
    PushedConfig await(Session s, Object sendLock, int previous4) throws IOException {
        byte[] hello = Wire.hello(previous4);
        long deadline = System.nanoTime() + settings.configWait().toNanos();
        try {
            while (true) {
                synchronized (sendLock) {
                    s.send(hello, 0, hello.length);
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                try {
                    return pending.get(Math.max(1, Math.min(HELLO_RESEND_MILLIS, left)), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (left <= HELLO_RESEND_MILLIS || !s.isOpen()) {
                        throw e;
                    }
                }
            }
        } catch (TimeoutException e) {
            if (!s.isOpen()) {
                String g = goodbye;
                throw new IOException("the server closed the session: " + (g != null ? g : "no reason given"));
            }
            boolean plain = !heardControl;
            if (settings.staticAddresses().isEmpty()) {
                s.close();
                throw new SocketTimeoutException("the server pushed no configuration within "
                        + settings.configWait().toMillis() + " ms and no static address is configured: set address ="
                        + " <tunnel address/prefix> in configs/org.minivpn.relay.client.cfg" + (plain ? " (the server"
                        + " sent no control message: a plain server, like the original C MiniVPN's, has no way to give"
                        + " one; use the address its admin set aside for this client, and plain = true, since a hello"
                        + " makes the original's server exit)" : ""));
            }
            if (!plain) {
                LOG.log(Level.INFO, "the server pushed no configuration; using the configured " + settings.staticAddresses());
            }
            plainServer = plain;
            return PushedConfig.local(settings);
        } catch (ExecutionException e) {
            s.close();
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new IOException("interrupted while waiting for the server's configuration");
        }
    }
}

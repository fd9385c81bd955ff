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
 * the server's CONFIG. A GOODBYE instead ends the wait with the server's reason; a server that pushes
 * nothing within the wait gets the client's own configuration, when it has one.
 */
final class HelloExchange {

    private static final Logger LOG = System.getLogger(HelloExchange.class.getName());

    private final ClientSettings settings;
    private volatile CompletableFuture<PushedConfig> pending = new CompletableFuture<>();
    private volatile String goodbye;

    HelloExchange(ClientSettings settings) {
        this.settings = settings;
    }

    /** Starts a new exchange, before its handshake: what the server says from now on belongs to it. */
    void begin() {
        goodbye = null;
        pending = new CompletableFuture<>();
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
     * Sends a hello on {@code s} and waits for the server's configuration.
     *
     * @param sendLock held while sending, as for every send on the session
     * @throws IOException with what to do when none came and none is configured, or the server refused
     */
    PushedConfig await(Session s, Object sendLock) throws IOException {
        byte[] hello = Wire.hello();
        synchronized (sendLock) {
            s.send(hello, 0, hello.length);
        }
        try {
            return pending.get(settings.configWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (!s.isOpen()) {
                String g = goodbye;
                throw new IOException("the server closed the session: " + (g != null ? g : "no reason given"));
            }
            if (settings.staticAddresses().isEmpty()) {
                s.close();
                throw new SocketTimeoutException("the server pushed no configuration within "
                        + settings.configWait().toMillis() + " ms and no static address is configured: set address in"
                        + " configs/org.minivpn.relay.client.cfg");
            }
            LOG.log(Level.INFO, "the server pushed no configuration; using the configured " + settings.staticAddresses());
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

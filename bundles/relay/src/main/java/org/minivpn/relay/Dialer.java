package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;

/**
 * Makes a client's sessions: takes the transport chosen now, starts a new {@link HelloExchange}
 * (what the server says from then on belongs to the new session) and handshakes within the
 * configured timeout. On the connecting or reconnect thread.
 */
final class Dialer {

    private static final Logger LOG = System.getLogger(Dialer.class.getName());

    private final Supplier<Transport> transports;
    private final ClientSettings settings;
    private final InetSocketAddress server;
    private final HelloExchange hello;
    private final SessionHandler handler;
    private volatile String transportType = "";

    Dialer(Supplier<Transport> transports, ClientSettings settings, InetSocketAddress server, HelloExchange hello,
            SessionHandler handler) {
        this.transports = transports;
        this.settings = settings;
        this.server = server;
        this.hello = hello;
        this.handler = handler;
    }

    /** The type of the transport of the last handshake tried, or "" before the first. */
    String transportType() {
        return transportType;
    }

    /** The crypto backend a session made now would use ({@link Transport#cryptoBackend()}), or "". */
    String backendNow() {
        Transport t = transports.get();
        return t == null ? "" : t.cryptoBackend();
    }

    /** One handshake, or the reason it failed, saying what to do. */
    Session dial() throws IOException {
        Transport t = transports.get();
        if (t == null) {
            throw new IOException("no transport is available: install one (e.g. org.minivpn.transport.dtls) in deploy/");
        }
        transportType = t.type();
        hello.begin();
        return t.connect(server, settings.serverName(), handler, settings.handshakeTimeout());
    }

    /**
     * The first session: a handshake tried again while tries time out (a lossy path: a flight lost
     * too often) within {@code connect.timeout.seconds} and while {@code going} holds; any other
     * failure (a refusal, nothing listening) ends it at once.
     */
    Session dialFirst(BooleanSupplier going) throws IOException {
        long giveUp = System.nanoTime() + settings.connectTimeout().toNanos();
        while (true) {
            try {
                return dial();
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() - giveUp >= 0 || !going.getAsBoolean()) {
                    throw e;
                }
                LOG.log(Level.WARNING, e.getMessage() + "; trying again (connect.timeout.seconds)");
            }
        }
    }
}

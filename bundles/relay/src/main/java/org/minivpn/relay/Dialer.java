package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportException;

/**
 * Makes a client's sessions: takes the transports to try now, in order, starts a new
 * {@link HelloExchange} (what the server says from then on belongs to the new session) and
 * handshakes. When a transport cannot reach the server (nothing answers, nothing accepts, no route:
 * UDP blocked on the path) the next one is tried, as OpenVPN tries its {@code <connection>} blocks
 * and AnyConnect falls back from DTLS to its TLS tunnel; a transport that has a next one gets a
 * short budget ({@code fallback.after.millis}) so the fallback comes quickly. A refusal
 * ({@link TransportException}: a certificate or name that does not match, a revoked client) never
 * falls back: the same credentials would be refused, or worse accepted by someone else, over
 * another transport. On the connecting or reconnect thread.
 */
final class Dialer {

    /** The transports to try now, in order; empty when none is installed. */
    @FunctionalInterface
    interface Candidates {
        List<Transport> get();
    }

    private static final Logger LOG = System.getLogger(Dialer.class.getName());

    private final Candidates transports;
    private final ClientSettings settings;
    private final InetSocketAddress server;
    private final HelloExchange hello;
    private final SessionHandler handler;
    private volatile String transportType = "";
    private volatile Transport connected; // of the last session made
    private volatile String fallback = ""; // why the last session made is not over the first candidate

    Dialer(Candidates transports, ClientSettings settings, InetSocketAddress server, HelloExchange hello,
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

    /** The crypto backend the transport of the last session would use now ({@link Transport#cryptoBackend()}), or "". */
    String backendNow() {
        Transport t = connected;
        return t == null ? "" : t.cryptoBackend();
    }

    /** The transport of the last session made, or null. */
    Transport connected() {
        return connected;
    }

    /**
     * Why the last session made is over a later transport than the first to try, e.g. "dtls could not
     * connect (no DTLS session ... within 2500 ms)"; "" when it is over the first.
     */
    String fallback() {
        return fallback;
    }

    /** One session over the first transport that reaches the server, or the reason none did, saying what to do. */
    Session dial() throws IOException {
        List<Transport> list = transports.get();
        if (list.isEmpty()) {
            throw new IOException("no transport is available: install one (e.g. org.minivpn.transport.dtls) in deploy/");
        }
        StringBuilder why = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
            Transport t = list.get(i);
            boolean last = i == list.size() - 1;
            Duration timeout = last ? settings.handshakeTimeout() : firstTry();
            transportType = t.type();
            hello.begin();
            try {
                Session s = t.connect(server, settings.serverName(), handler, timeout);
                connected = t;
                fallback = why.toString();
                return s;
            } catch (ConnectException | SocketTimeoutException | NoRouteToHostException | PortUnreachableException e) {
                if (last) {
                    throw e;
                }
                // cannot reach: another transport may (a refusal is no ConnectException and ends here)
                why.append(why.length() == 0 ? "" : "; ").append(t.type()).append(" could not connect (")
                        .append(e.getMessage()).append(')');
                LOG.log(Level.WARNING, t.type() + " cannot reach " + server + " (" + e.getMessage() + "): trying "
                        + list.get(i + 1).type() + " (transports in configs/org.minivpn.relay.client.cfg)");
            }
        }
        throw new AssertionError("unreachable: the last candidate returns or throws");
    }

    /** The budget of a try that has a fallback: short, so that blocked UDP costs seconds, not the handshake timeout. */
    private Duration firstTry() {
        Duration f = settings.fallbackAfter();
        return f.compareTo(settings.handshakeTimeout()) < 0 ? f : settings.handshakeTimeout();
    }

    /**
     * The first session: the transports tried again while the last times out (a lossy path: a flight
     * lost too often) within {@code connect.timeout.seconds} and while {@code going} holds; any other
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

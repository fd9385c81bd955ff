package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportServer;

/**
 * The transport listeners of one server, at most one per transport type, all on the same address
 * and port (a UDP and a TCP port do not collide) and all handing their sessions to one handler, the
 * {@link ServerEngine}: so every session shares one {@link Admission} and one {@link AddressPool},
 * and an identity holds one session and one address whichever transport carries it (a client that
 * moves from DTLS to TLS keeps its address). A listener opens when its transport appears and closes
 * when it goes, without touching the others, as ocserv serves CSTP (TLS) beside DTLS.
 */
final class Listeners {

    private static final Logger LOG = System.getLogger(Listeners.class.getName());

    private record Listening(Transport transport, TransportServer server) {
    }

    private final InetSocketAddress bind;
    private final SessionHandler handler;
    private final Map<String, Listening> byType = new LinkedHashMap<>(); // guarded by this

    Listeners(InetSocketAddress bind, SessionHandler handler) {
        this.bind = bind;
        this.handler = handler;
    }

    /** Listens with {@code t}; false (and nothing opened) when a transport of its type listens already. */
    synchronized boolean open(Transport t) throws IOException {
        if (byType.containsKey(t.type())) {
            return false;
        }
        boolean more = !byType.isEmpty();
        byType.put(t.type(), new Listening(t, t.listen(bind, handler)));
        if (more) {
            LOG.log(Level.INFO, "now also serving over " + t.type() + ": " + describe());
        }
        return true;
    }

    /**
     * Stops the listener of {@code t}, if it has one, and with it that listener's sessions; the
     * others go on. Returns whether it had one.
     */
    synchronized boolean close(Transport t) {
        Listening l = byType.get(t.type());
        if (l == null || l.transport() != t) {
            return false;
        }
        byType.remove(t.type());
        l.server().close();
        LOG.log(byType.isEmpty() ? Level.WARNING : Level.INFO, "stopped serving over " + t.type() + (byType.isEmpty()
                ? ": no transport listens now, until one named in transport is back" : "; still over " + byType.keySet()));
        return true;
    }

    /** Stops every listener. Idempotent. */
    synchronized void closeAll() {
        for (Listening l : byType.values()) {
            try {
                l.server().close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing the " + l.transport().type() + " listener failed: " + e);
            }
        }
        byType.clear();
    }

    /** The types listening, in the order they were opened. */
    synchronized List<String> types() {
        return new ArrayList<>(byType.keySet());
    }

    /** The first listener's address (a bound port 0 resolved), or the configured one while none listens. */
    synchronized InetSocketAddress localAddress() {
        for (Listening l : byType.values()) {
            return l.server().localAddress();
        }
        return bind;
    }

    /** What the listeners counted, summed by key (see {@link TransportServer#counters()}). */
    synchronized Map<String, Long> counters() {
        Map<String, Long> sum = new HashMap<>();
        for (Listening l : byType.values()) {
            l.server().counters().forEach((k, v) -> sum.merge(k, v, Long::sum));
        }
        return sum;
    }

    /** Each listener's address by type, for the log. */
    synchronized String describe() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Listening> e : byType.entrySet()) {
            b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue().server().localAddress());
        }
        return b.toString();
    }
}

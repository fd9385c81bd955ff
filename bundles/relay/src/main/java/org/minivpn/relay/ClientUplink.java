package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.minivpn.api.transport.Session;

/**
 * A client's TUN → transport side, on the relay's own thread ({@link TunLoop}): each packet read
 * from the TUN goes to the session in use, or is dropped while there is none, never sent elsewhere;
 * and each tick pings the server when due, declares it dead ({@link Keepalive}) or asks for a rekey
 * ({@link Rekey}) or for a new session when the transport's crypto backend changed. Allocates nothing per packet.
 */
final class ClientUplink implements TunLoop.Owner {

    private static final Logger LOG = System.getLogger(ClientUplink.class.getName());

    private final ClientEngine engine;
    private final Counters counters;
    private final Object sendLock;
    private final Ipv6Block ipv6Block;
    private final Keepalive keepalive;
    private final ClientControl control;
    private final Rekey rekey;
    private final Reconnector reconnector;
    private final Dialer dialer;
    private long nextBackendCheck; // TUN loop thread only

    /** @param parts the engine's own, shared with its other helpers */
    ClientUplink(ClientEngine engine, ClientParts parts, Ipv6Block ipv6Block) {
        this.engine = engine;
        this.counters = parts.counters();
        this.sendLock = parts.sendLock();
        this.ipv6Block = ipv6Block;
        this.keepalive = parts.keepalive();
        this.control = parts.control();
        this.rekey = parts.rekey();
        this.reconnector = parts.reconnector();
        this.dialer = parts.dialer();
    }

    @Override
    public void fromTun(byte[] buf, int n) {
        toServer(buf, n);
    }

    /**
     * Sends one packet read from the TUN; while there is no session it is dropped, never sent
     * elsewhere. An IPv6 packet when the tunnel has no IPv6 address is dropped too (see {@link Ipv6Block}).
     */
    void toServer(byte[] buf, int n) {
        if (ipv6Block.blocks(buf, n)) {
            ipv6Block.drop(buf, n);
            counters.droppedOut++;
            return;
        }
        Session s = engine.current();
        if (s == null) {
            counters.droppedOut++;
            return;
        }
        try {
            synchronized (sendLock) {
                s.sendMore(buf, 0, n);
            }
            counters.bytesOut += n;
            counters.packetsOut++;
        } catch (IOException e) {
            counters.droppedOut++;
        }
    }

    /**
     * Pings the server when due (never a plain one) and declares it dead when it was silent past the
     * timeout, or answered none of the data and probes of the last seconds ({@link Keepalive}); asks
     * for a rekey when one is due.
     */
    @Override
    public void tick(long now) {
        engine.retireDue(now);
        Session s = engine.current();
        if (s == null) {
            return;
        }
        switch (keepalive.due(now, counters.packetsOut)) {
            case DEAD -> {
                String why = keepalive.silence();
                LOG.log(Level.WARNING, why);
                engine.sessionLost(s, why);
                s.close();
            }
            case PING -> {
                if (!control.ping(s, now)) {
                    counters.droppedOut++;
                }
            }
            default -> {
                String why = keepalive.plain() ? null : rekey.due(now, counters.packetsOut, counters.packetsIn);
                if (why == null && !keepalive.plain() && now - nextBackendCheck >= 0) {
                    why = backendChange(s, now);
                }
                if (why != null) {
                    reconnector.move(why);
                }
            }
        }
    }

    /**
     * Why the session should move because its transport now uses another crypto backend (its
     * {@code backend.target} changed, a better-ranked backend arrived), or null; looked at once a
     * second, and not again for 30 s after it asked. Allocates only when it answers.
     */
    private String backendChange(Session s, long now) {
        nextBackendCheck = now + 1_000_000_000L;
        String want = dialer.backendNow();
        String have = s.cryptoBackend();
        if (want.isEmpty() || have.isEmpty() || want.equals(have)) {
            return null;
        }
        nextBackendCheck = now + 30_000_000_000L;
        return "the crypto backend is now " + want + " (the session uses " + have + ")";
    }

    /** The device went away: the session stays ({@link ClientEngine#detach}); the relay's TUN thread ends. */
    @Override
    public void tunGone() {
        // the relay is told by the framework and waits for the device to come back
    }

    @Override
    public void flush() {
        Session s = engine.current();
        if (s == null) {
            return;
        }
        try {
            synchronized (sendLock) {
                s.flush();
            }
        } catch (IOException e) {
            counters.droppedOut++;
        }
    }
}

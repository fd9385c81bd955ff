package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.minivpn.api.transport.Session;

/**
 * The control messages of a client's sessions ({@link Wire}): what arrives on the transport's
 * receive thread (CONFIG to the {@link HelloExchange}, PING answered with PONG, PONG to the
 * {@link Keepalive}, GOODBYE) and the control records the client sends. Every send holds
 * {@code sendLock}, as every send on a session does. Allocates nothing but for a GOODBYE.
 */
final class ClientControl {

    /** What the engine does after a control record. */
    enum Outcome { HANDLED, UNKNOWN, GOODBYE }

    private static final Logger LOG = System.getLogger(ClientControl.class.getName());

    private final HelloExchange hello;
    private final Keepalive keepalive;
    private final Object sendLock;
    private final byte[] pong = new byte[Wire.PING_LENGTH]; // guarded by sendLock
    private final byte[] ping = new byte[Wire.PING_LENGTH]; // guarded by sendLock
    private volatile String goodbye;

    ClientControl(HelloExchange hello, Keepalive keepalive, Object sendLock) {
        this.hello = hello;
        this.keepalive = keepalive;
        this.sendLock = sendLock;
    }

    /**
     * Takes one control record of {@code s}; the receive thread.
     *
     * @param awaited true when {@code s} is the session whose hello exchange is under way (or done):
     *     a GOODBYE of another (the old session during a move) is not the answer to its hello
     * @return GOODBYE when the server ended {@code s} ({@link #goodbye} says why), UNKNOWN for a
     *     record of no known type
     */
    Outcome received(Session s, boolean awaited, byte[] buf, int off, int len) {
        hello.heardControl();
        byte type = len > 0 ? buf[off] : 0;
        switch (type) {
            case Wire.CONFIG -> hello.config(buf, off, len);
            case Wire.PING -> {
                if (len == Wire.PING_LENGTH && !keepalive.plain()) {
                    synchronized (sendLock) {
                        send(s, pong, Wire.pong(buf, off, pong));
                    }
                }
            }
            case Wire.PONG -> {
                if (len == Wire.PING_LENGTH) {
                    keepalive.pong(Wire.getLong(buf, off + 1), System.nanoTime());
                }
            }
            case Wire.GOODBYE -> {
                String reason = Wire.goodbyeReason(buf, off, len);
                LOG.log(Level.WARNING, "the server said goodbye: " + reason);
                goodbye = reason;
                if (awaited) {
                    hello.goodbye(reason);
                }
                return Outcome.GOODBYE;
            }
            default -> {
                return Outcome.UNKNOWN;
            }
        }
        return Outcome.HANDLED;
    }

    /** Why the server said the last GOODBYE. */
    String goodbye() {
        return goodbye;
    }

    /** Pings the server on {@code s} with the time {@code now}; the TUN loop thread. False when the send failed. */
    boolean ping(Session s, long now) {
        synchronized (sendLock) {
            return send(s, ping, Wire.ping(ping, Wire.PING, now));
        }
    }

    /** Sends a control record (and what data is held back before it); the caller holds sendLock. False when it failed. */
    static boolean send(Session s, byte[] b, int len) {
        try {
            s.send(b, 0, len);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

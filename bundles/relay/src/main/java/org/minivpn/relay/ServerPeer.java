package org.minivpn.relay;

import java.io.IOException;
import java.time.Instant;
import org.minivpn.api.transport.Session;

/**
 * What the server keeps of one client session. Sends to it are guarded by its monitor: the relay's
 * thread sends data, the transport's receive thread answers pings, and both may send control
 * records. Its address fields are written by {@link Admission} under its lock before it sets
 * {@link #slot}, which is volatile and which the receive thread reads first; the TUN thread finds
 * the peer through the pool and reads none of them.
 *
 * <p>A peer that has not said HELLO is a plain peer, such as the original C MiniVPN's client: it
 * writes every record it receives to its TUN and exits on the first write the kernel refuses, so it
 * is sent IP packets only. {@link #sendControl} and {@link #goodbye} send nothing to it; they are
 * the only ways a control record leaves the server.
 */
final class ServerPeer {

    final Session session;
    final String identity;
    final Counters counters = new Counters();
    final byte[] control = new byte[Wire.PING_LENGTH]; // guarded by this
    volatile long lastSeenNanos;
    volatile long rttNanos = -1;
    volatile Instant lastSeen = Instant.now();
    long nextPingNanos; // TUN thread only
    volatile int slot = -1;
    /** Set by the receive thread when the peer says HELLO, before anything is sent in reply. */
    volatile boolean hello;
    int address4;
    /** The session of the same identity that took this one's address (a move); packets still in flight here go to it. */
    volatile ServerPeer successor;
    long retireAtNanos; // guarded by the admission's lock: when a session a move left is closed
    /** Its place in the housekeeping of the relay's thread ({@link ServerControl}); let go when it leaves. */
    final ServerControl.Deadline deadline = new ServerControl.Deadline(this);
    long address6High;
    long address6Low;
    boolean hasAddress6;

    ServerPeer(Session session) {
        this.session = session;
        this.identity = session.peerIdentity();
    }

    /**
     * Sends a control record (and what data is held back before it) to a peer that said HELLO; to a
     * plain peer nothing. A failure is counted as a drop.
     */
    void sendControl(byte[] b, int len) {
        if (!hello) {
            return;
        }
        synchronized (this) {
            try {
                session.send(b, 0, len);
            } catch (IOException e) {
                counters.droppedOut++;
            }
        }
    }

    /**
     * Tells the client why (unless it is a plain peer, which is told nothing), then closes the
     * session. Not on the packet path: it allocates.
     */
    void goodbye(String reason) {
        byte[] bye = Wire.goodbye(reason);
        sendControl(bye, bye.length);
        session.close();
    }
}

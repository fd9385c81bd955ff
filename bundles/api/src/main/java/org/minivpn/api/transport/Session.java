package org.minivpn.api.transport;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One authenticated channel between a client and a server. It carries datagrams: one packet per
 * {@link #send}, delivered whole or not at all, possibly reordered or lost as UDP is.
 */
@ProviderType
public interface Session extends Closeable {

    /**
     * Sends one packet from {@code buf[off, off+len)} as one record. One sending thread at a time;
     * safe while the transport's receive thread delivers packets. Never blocks longer than the
     * kernel takes to queue the datagram. Allocates nothing per call.
     *
     * @throws java.nio.channels.ClosedChannelException once the session is closed
     * @throws IOException when {@code len} exceeds {@link #maxPacketSize()}
     */
    void send(byte[] buf, int off, int len) throws IOException;

    /** The largest packet {@link #send} accepts. */
    int maxPacketSize();

    /** The peer's authenticated identity (certificate subject CN); "" when the transport is not secure. */
    String peerIdentity();

    /** The peer's current UDP endpoint; it may change while the session lives (roaming). */
    InetSocketAddress remoteAddress();

    /** The negotiated cipher suite, e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"; "" when none. */
    String cipherSuite();

    /** True until the session is closed by either side or timed out by the transport. */
    boolean isOpen();

    /** Stores one object of the consumer's with the session, e.g. its per-peer state. */
    void attach(Object attachment);

    /** What {@link #attach} stored, or null. */
    Object attachment();

    /** Ends the session, telling the peer when the transport can. Idempotent; never blocks long. */
    @Override
    void close();
}

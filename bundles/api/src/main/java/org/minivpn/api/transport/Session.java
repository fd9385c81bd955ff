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
     * kernel takes to queue the datagram. Allocates nothing per call. Records that {@link #sendMore}
     * held back go out with this one, before it.
     *
     * @throws java.nio.channels.ClosedChannelException once the session is closed
     * @throws IOException when {@code len} exceeds {@link #maxPacketSize()}
     */
    void send(byte[] buf, int off, int len) throws IOException;

    /**
     * Like {@link #send}, for a sender that has more packets at hand: the transport may hold the
     * record back to send it together with the next ones in one system call, until the next
     * {@link #send}, {@link #flush()}, or a full batch. Records go out in the order they were given.
     * The default sends at once.
     *
     * @throws java.nio.channels.ClosedChannelException once the session is closed
     * @throws IOException when {@code len} exceeds {@link #maxPacketSize()}
     */
    default void sendMore(byte[] buf, int off, int len) throws IOException {
        send(buf, off, len);
    }

    /**
     * Sends what {@link #sendMore} held back. A sender that used it calls this whenever it has no
     * further packet at hand, before it waits for more. Same thread rules as {@link #send}. After
     * {@link #close()} it does nothing. The default holds nothing back and does nothing.
     */
    default void flush() throws IOException {
    }

    /** The largest packet {@link #send} accepts. */
    int maxPacketSize();

    /** The peer's authenticated identity (certificate subject CN); "" when the transport is not secure. */
    String peerIdentity();

    /** The peer's current UDP endpoint; it may change while the session lives (roaming). */
    InetSocketAddress remoteAddress();

    /** The negotiated cipher suite, e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"; "" when none. */
    String cipherSuite();

    /**
     * The crypto backend that computes this session's cipher, the {@link
     * org.minivpn.api.crypto.CryptoBackend#NAME} it was made with (e.g. "jca"); "" when the transport
     * encrypts nothing or does not say. Fixed for the session's life.
     */
    default String cryptoBackend() {
        return "";
    }

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

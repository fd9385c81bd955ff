/**
 * The DTLS 1.2 transport (private: consumers see {@link org.minivpn.api.transport.Transport}).
 *
 * <p>Bouncy Castle runs the handshakes ({@link org.minivpn.transport.dtls.ClientPeer},
 * {@link org.minivpn.transport.dtls.ServerPeer}); when one completes, its keys move to a
 * {@link org.minivpn.transport.dtls.RecordLayer} that seals and opens every record of the
 * session into reused buffers. Threads: a server has one receive thread for all its clients and
 * handshake threads that start on demand up to {@code handshake.max}, admitted per source by
 * {@link org.minivpn.transport.dtls.HandshakeAdmission}; a client session has one receive thread;
 * senders use their own.
 */
package org.minivpn.transport.dtls;

/**
 * The TLS 1.3 over TCP transport (private: consumers see {@link org.minivpn.api.transport.Transport}).
 *
 * <p>Threads: a server has one accept thread and handshake threads up to {@code handshake.max};
 * each session has a receive thread and a send thread; one timer serves every deadline.
 */
package org.minivpn.transport.tls;

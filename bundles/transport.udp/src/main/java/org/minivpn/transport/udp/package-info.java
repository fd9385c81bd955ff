/**
 * The plaintext UDP transport, for debugging (private: consumers see
 * {@link org.minivpn.api.transport.Transport}). It starts only when configured insecure=true.
 */
package org.minivpn.transport.udp;

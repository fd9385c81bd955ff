/**
 * Transports: the channel between a VPN client and its server, carrying one IP packet per record.
 *
 * <p>Threads: each transport owns its receive thread(s) and hands every packet to a
 * {@link org.minivpn.api.transport.SessionHandler} on them; the relay sends from its own thread.
 * A record whose first byte's high nibble is not 4 or 6 is not an IP packet; the relay uses such
 * records for control messages, the transport carries them unchanged.
 */
@Export
@Version("1.4.0")
package org.minivpn.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

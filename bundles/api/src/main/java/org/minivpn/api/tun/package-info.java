/**
 * Layer-3 TUN devices: where the relay reads packets the kernel routes into the tunnel and writes
 * the packets that came out of it.
 */
@Export
@Version("1.1.0")
package org.minivpn.api.tun;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

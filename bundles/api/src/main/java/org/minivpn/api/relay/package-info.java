/**
 * The VPN as a user sees it: a client that connects to one server, a server that holds many
 * sessions, and the state and counters of both.
 */
@Export
@Version("1.4.0")
package org.minivpn.api.relay;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

/**
 * Routing configurators: what a client or server changes in the host's routing and firewall while
 * a tunnel is up, and how every change is undone.
 */
@Export
@Version("1.1.0")
package org.minivpn.api.route;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

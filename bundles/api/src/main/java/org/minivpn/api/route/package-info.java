/**
 * Routing configurators: what a client or server changes in the host's routing, firewall and (for a
 * client given resolvers) name resolution while a tunnel is up, and how every change is undone.
 */
@Export
@Version("1.2.0")
package org.minivpn.api.route;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

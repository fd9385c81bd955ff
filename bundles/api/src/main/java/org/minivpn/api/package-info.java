/**
 * Value types shared by every MiniVPN service contract.
 */
@Export
@Version("1.0.0")
package org.minivpn.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

/**
 * Crypto backends: which JCA provider the secure transports compute with. One service per backend;
 * a transport picks one with a target filter on {@link org.minivpn.api.crypto.CryptoBackend#NAME}
 * in its configuration, or takes the highest-ranked.
 */
@Export
@Version("1.0.0")
package org.minivpn.api.crypto;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

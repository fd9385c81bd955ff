/**
 * The trust shared by the TLS-based transports (DTLS 1.2 over UDP, TLS 1.3 over TCP): the same
 * certificate files, the same peer checks (CA, CRL, extended key usage, RFC 6125 names, pins), the
 * same identities (the subject CN), and the same crypto backend selection, so a peer is accepted or
 * refused alike whichever transport carries it. Bouncy Castle TLS types appear in this API
 * ({@link org.minivpn.tls.trust.Refusal} is a {@code TlsFatalAlert}); only transport bundles import it.
 */
@Export
@Version("1.1.0")
package org.minivpn.tls.trust;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

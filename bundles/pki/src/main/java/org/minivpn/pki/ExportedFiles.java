package org.minivpn.pki;

import java.nio.file.Path;

/**
 * What {@link CertificateAuthority#export} wrote: the layout of a MiniVPN installation, so that
 * copying the folder's contents into one puts every file where that appliance looks for it.
 *
 * @param directory the export folder
 * @param entry the exported certificate
 * @param caCertificate {@code pki/ca.crt}
 * @param certificate {@code pki/NAME.crt}
 * @param key {@code pki/NAME.key}, mode 0600
 * @param crl {@code pki/crl.pem}, a copy of the CA's current CRL
 * @param transportConfig {@code configs/org.minivpn.transport.dtls.cfg}: ca, cert and key
 * @param clientConfig {@code configs/org.minivpn.relay.client.cfg} naming the server, or null when none was given
 */
public record ExportedFiles(Path directory, IssuedCertificate entry, Path caCertificate, Path certificate, Path key,
        Path crl, Path transportConfig, Path clientConfig) {
}

package org.minivpn.tls.trust;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a TLS-based transport finds its certificate files, resolved against the installation
 * folder, and the configuration file that names them (for advice in messages).
 *
 * @param ca the CA certificate every peer must chain to, or null when not configured
 * @param cert this appliance's certificate chain (PEM), or null
 * @param key its PKCS#8 private key (PEM), or null
 * @param crl the CA's CRL, or null to run without revocation
 * @param pins client side: SHA-256 fingerprints one of which the server's certificate must have, or empty
 * @param configFile e.g. {@code configs/org.minivpn.transport.dtls.cfg}
 */
public record TrustFiles(Path ca, Path cert, Path key, Path crl, List<byte[]> pins, String configFile) {

    public TrustFiles {
        pins = List.copyOf(pins);
    }
}

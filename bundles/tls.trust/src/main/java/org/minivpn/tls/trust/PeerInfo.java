package org.minivpn.tls.trust;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A peer whose certificate chain was verified.
 *
 * @param identity the subject CN of its certificate (the whole subject when it has no CN)
 * @param chain its certificates, its own first
 */
public record PeerInfo(String identity, List<X509Certificate> chain) {

    public PeerInfo {
        chain = List.copyOf(chain);
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }
}

package org.minivpn.transport.dtls;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A peer whose certificate chain was verified.
 *
 * @param identity the subject CN of its certificate (the whole subject when it has no CN)
 * @param chain its certificates, its own first
 */
record PeerInfo(String identity, List<X509Certificate> chain) {

    PeerInfo {
        chain = List.copyOf(chain);
    }

    X509Certificate certificate() {
        return chain.get(0);
    }
}

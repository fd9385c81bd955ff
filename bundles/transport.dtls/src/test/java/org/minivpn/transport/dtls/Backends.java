package org.minivpn.transport.dtls;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.minivpn.api.crypto.CryptoBackend;

/** The two crypto backends as the crypto bundles offer them, for tests outside OSGi. */
final class Backends {

    private static final Provider BC = new BouncyCastleProvider();

    private Backends() {
    }

    static CryptoBackend jca() {
        return backend("jca", null);
    }

    static CryptoBackend bc() {
        return backend("bc", BC);
    }

    static CryptoBackend byName(String name) {
        return "bc".equals(name) ? bc() : jca();
    }

    private static CryptoBackend backend(String name, Provider provider) {
        return new CryptoBackend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Provider provider() {
                return provider;
            }
        };
    }

    /** A transport as the component would be, outside OSGi. Deactivate it after the test. */
    static DtlsTransport transport(DtlsSettings settings, CryptoBackend backend) {
        DtlsTransport t = new DtlsTransport(java.nio.file.Path.of("").toAbsolutePath(), settings);
        t.setBackend(backend);
        return t;
    }
}

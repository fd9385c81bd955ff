package org.minivpn.crypto.bc;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.minivpn.api.crypto.CryptoBackend;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Bouncy Castle's provider: every algorithm in pure Java, the same on every JDK, and slower than
 * the JDK's intrinsics. The provider is private to this backend: it is not added to the JVM-wide
 * provider list, so choosing another backend really leaves Bouncy Castle out.
 */
@Component(property = {CryptoBackend.NAME + "=" + BouncyCastleBackend.NAME, "service.ranking:Integer=0"})
public final class BouncyCastleBackend implements CryptoBackend {

    static final String NAME = "bc";

    private final Provider provider;

    @Activate
    public BouncyCastleBackend() {
        this.provider = new BouncyCastleProvider();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Provider provider() {
        return provider;
    }

    @Override
    public String toString() {
        return "crypto backend " + NAME + " (" + provider.getInfo() + ")";
    }
}

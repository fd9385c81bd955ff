package org.minivpn.api.crypto;

import java.security.Provider;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A source of cryptographic algorithms (ciphers, signatures, key agreement, digests) for the
 * transports. Registered as a service with the {@link #NAME} property; consumers select one with a
 * target filter such as {@code (crypto.backend=bc)}.
 *
 * <p>A consumer asks for the provider once per handshake or session and keeps what it got for
 * that session's life, so a backend that goes away leaves live sessions working.
 */
@ProviderType
public interface CryptoBackend {

    /** Service property: the backend's short name, e.g. "jca" or "bc". */
    String NAME = "crypto.backend";

    /** The value of {@link #NAME}. */
    String name();

    /**
     * The JCA provider to ask for every algorithm, or null to use the JDK's configured providers
     * (the {@code java.security} provider list). The same instance on every call; never blocks.
     */
    Provider provider();
}

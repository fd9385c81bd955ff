package org.minivpn.pki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One certificate the CA issued, as its index remembers it.
 *
 * @param serial the certificate's serial number
 * @param name the server's or client's name, which is also its certificate's CN
 * @param revokedAt when it was revoked, or null
 */
public record IssuedCertificate(BigInteger serial, String name, Kind kind, Instant notAfter, Instant revokedAt) {

    /** What a certificate is for: its extended key usage. */
    public enum Kind {
        SERVER, CLIENT;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where a certificate stands at some moment. */
    public enum Status {
        VALID, EXPIRED, REVOKED;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public IssuedCertificate {
        Objects.requireNonNull(serial);
        Objects.requireNonNull(name);
        Objects.requireNonNull(kind);
        Objects.requireNonNull(notAfter);
    }

    /** Revocation wins over expiry: a revoked certificate stays revoked. */
    public Status status(Instant now) {
        if (revokedAt != null) {
            return Status.REVOKED;
        }
        return now.isBefore(notAfter) ? Status.VALID : Status.EXPIRED;
    }

    /** The serial in upper-case hexadecimal, as openssl prints it. */
    public String serialHex() {
        return serial.toString(16).toUpperCase(Locale.ROOT);
    }

    IssuedCertificate revoked(Instant at) {
        return new IssuedCertificate(serial, name, kind, notAfter, at);
    }
}

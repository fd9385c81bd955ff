/**
 * The built-in certificate authority and its {@code vpn:pki} commands.
 *
 * <p>{@link org.minivpn.pki.CertificateAuthority} does the work in plain Java on one folder (Bouncy
 * Castle's bcpkix for X.509); {@link org.minivpn.pki.PkiCommands} is the thin Gogo front. The
 * DTLS transport reads what it writes: {@code ca.crt}, a server's or client's {@code NAME.crt} and
 * {@code NAME.key}, and {@code crl.pem}, which it reloads when the file changes, so revoking is
 * only a matter of writing a new CRL atomically.
 *
 * <p>This package is private to the bundle. Other modules may use {@code CertificateAuthority}
 * in their tests as a test-scoped Maven dependency; its API holds no OSGi types.
 */
package org.minivpn.pki;

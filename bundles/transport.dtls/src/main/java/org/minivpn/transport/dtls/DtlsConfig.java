package org.minivpn.transport.dtls;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the DTLS transport (PID {@value DtlsTransport#PID}). Paths are relative to the
 * installation folder (framework property {@code minivpn.home}) unless absolute. Edits apply live:
 * certificate files are re-read when they change, and new handshakes use the new values.
 *
 * <p>The crypto backend is chosen by the reference target {@code backend.target}, e.g.
 * {@code backend.target = (crypto.backend=bc)}; without it, the highest-ranked backend.
 */
@ObjectClassDefinition(name = "MiniVPN DTLS transport",
        description = "Certificates and limits of the DTLS 1.2 transport")
public @interface DtlsConfig {

    @AttributeDefinition(description = "CA certificate (PEM) that every peer's certificate must be issued by")
    String ca() default "pki/ca.crt";

    @AttributeDefinition(description = "this appliance's certificate (PEM), issued by the CA")
    String cert() default "pki/server.crt";

    @AttributeDefinition(description = "the private key of cert: PEM PKCS#8 (BEGIN PRIVATE KEY), EC P-256 or RSA")
    String key() default "pki/server.key";

    @AttributeDefinition(description = "certificate revocation list (PEM) signed by the CA; a server refuses new"
            + " clients while it is missing or past its next update (fail closed); empty to run without revocation")
    String crl() default "pki/crl.pem";

    @AttributeDefinition(description = "client side: SHA-256 fingerprints of the server certificates to accept, "
            + "comma separated (as openssl x509 -noout -fingerprint -sha256 prints them); empty for any")
    String pin() default "";

    @AttributeDefinition(description = "seconds a handshake may take before it is abandoned")
    int handshake_timeout() default 10;

    @AttributeDefinition(description = "server side: handshake threads kept ready; more start while handshakes wait"
            + " for their clients, up to handshake.max, and end after 30 s idle")
    int handshake_threads() default 2;

    @AttributeDefinition(description = "server side: handshakes in progress at once; when full, a new client takes the"
            + " place of the handshake that has waited longest (over a second) for its client, else it is dropped")
    int handshake_max() default 64;

    @AttributeDefinition(description = "server side: handshakes in progress at once from one IPv4 address or IPv6 /64")
    int handshake_per_source() default 4;

    @AttributeDefinition(description = "server side: new handshakes per second from one IPv4 address or IPv6 /64"
            + " (a token bucket; raise it for many clients behind one NAT address)")
    int handshake_rate() default 10;

    @AttributeDefinition(description = "server side: new handshakes one IPv4 address or IPv6 /64 may start at once")
    int handshake_burst() default 20;

    @AttributeDefinition(description = "server side: seconds a handshake may take while more than half of"
            + " handshake.max are in progress")
    int handshake_pressure_timeout() default 3;

    @AttributeDefinition(description = "server side: seconds without a packet from a client before its session ends")
    int session_idle_timeout() default 180;

    @AttributeDefinition(description = "client side: firewall mark (SO_MARK) of the tunnel's own socket, e.g. 0x6d76;"
            + " the Linux route configurator sends all other traffic into the tunnel by policy routing and lets only"
            + " this mark reach the server outside it, so it must equal fwmark in org.minivpn.route.linux."
            + " Needs CAP_NET_ADMIN (root); without it, or with 0, the routes keep a host route to the server")
    String socket_mark() default "0x6d76";

    @AttributeDefinition(description = "largest packet a session sends, in bytes (the tunnel's MTU must not be larger)")
    int max_packet_size() default 1500;
}

package org.minivpn.transport.tls;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the TLS transport. The component reads two PIDs, {@code org.minivpn.transport.dtls}
 * first and {@value TlsTransport#PID} over it, so it uses the DTLS transport's certificate files
 * (ca, cert, key, crl, pin: one identity, whichever transport carries it) unless its own file says
 * otherwise. Paths are relative to the installation folder.
 */
@ObjectClassDefinition(name = "MiniVPN TLS transport",
        description = "TLS 1.3 over TCP: certificates (from the DTLS transport's configuration unless set here) and limits")
public @interface TlsConfig {

    @AttributeDefinition(description = "CA certificate (PEM) that every peer's certificate must be issued by")
    String ca() default "pki/ca.crt";

    @AttributeDefinition(description = "this appliance's certificate (PEM), issued by the CA")
    String cert() default "pki/server.crt";

    @AttributeDefinition(description = "the private key of cert: PEM PKCS#8 (BEGIN PRIVATE KEY), EC P-256")
    String key() default "pki/server.key";

    @AttributeDefinition(description = "certificate revocation list (PEM) signed by the CA; a server refuses new"
            + " clients while it is missing or expired; empty to run without revocation")
    String crl() default "pki/crl.pem";

    @AttributeDefinition(description = "client side: SHA-256 fingerprints of the server certificates to accept; empty for any")
    String pin() default "";

    @AttributeDefinition(description = "TCP port to listen on and to connect to; 0 for the port the relay asks for"
            + " (the server's port, 23232 by default); 443 passes most firewalls")
    int port() default 0;

    /** The DTLS transport's attribute of the same name, read from its file first (see the class comment). */
    @AttributeDefinition(description = "client side: firewall mark (SO_MARK) of the tunnel's own TCP socket, e.g. 0x6d76;"
            + " it must equal fwmark in org.minivpn.route.linux, whose policy routing sends every unmarked packet into"
            + " the tunnel (an unmarked connection to the server would loop through it). Needs CAP_NET_ADMIN (root);"
            + " without it, or empty, the routes keep a host route to the server")
    String socket_mark() default "0x6d76";

    @AttributeDefinition(description = "seconds the TCP connect and the handshake may take together")
    int handshake_timeout() default 10;

    @AttributeDefinition(description = "server side: handshakes in progress at once; further connections are closed at once")
    int handshake_max() default 64;

    @AttributeDefinition(description = "seconds without a byte from the peer before its session ends")
    int session_idle_timeout() default 180;

    @AttributeDefinition(description = "seconds a write may wait for the peer to read before its session ends")
    int write_timeout() default 10;

    @AttributeDefinition(description = "largest packet a session sends or accepts, in bytes; a peer that announces"
            + " a larger frame is disconnected")
    int max_packet_size() default 1500;

    @AttributeDefinition(description = "packets queued per session for sending; more are dropped, as a full UDP"
            + " socket would (TCP retransmits what is sent already)")
    int send_queue() default 256;
}

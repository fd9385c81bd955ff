package org.minivpn.relay;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the VPN server, PID {@code org.minivpn.relay.server}. */
@ObjectClassDefinition(name = "MiniVPN server", description = "Serves many clients on one transport listener.")
@interface ServerConfig {

    @AttributeDefinition(description = "start serving when the appliance starts, without vpn:serve")
    boolean autostart() default false;

    /** "::" is one dual-stack socket for IPv4 and IPv6 clients (IPv4 only where the kernel has no IPv6). */
    @AttributeDefinition(description = "local address to listen on; :: for every IPv4 and IPv6 address, 0.0.0.0"
            + " for every IPv4 address only")
    String listen() default "::";

    @AttributeDefinition(description = "port: UDP for dtls, TCP for tls (unless its own port is set)")
    int port() default 23232;

    /** ocserv serves TLS (CSTP) beside DTLS in the same way: one client pool, one session per user. */
    @AttributeDefinition(description = "transport types to serve with, comma separated, e.g. dtls, tls: one listener each,"
            + " on the same port, sharing one address pool; a named transport installed later is served as it appears."
            + " Empty for the highest-ranked secure one only")
    String transport() default "";

    @AttributeDefinition(description = "IPv4 client pool; its first host is the server's tunnel address")
    String pool() default "10.7.0.0/24";

    @AttributeDefinition(description = "IPv6 client pool (e.g. fd00:7::/64); empty for none")
    String pool6() default "";

    @AttributeDefinition(description = "tunnel MTU")
    int mtu() default 1400;

    @AttributeDefinition(description = "routes pushed to clients (CIDR), used by split-tunnel clients")
    String[] routes() default {};

    /** As OpenVPN's push "dhcp-option DNS": the clients use them while connected (PushedDns). */
    @AttributeDefinition(description = "resolvers pushed to clients, comma separated, e.g. 10.7.0.1 (one the clients"
            + " reach through the tunnel); empty pushes none and clients keep their own")
    String[] dns() default {};

    @AttributeDefinition(description = "search domains pushed with dns, comma separated, e.g. corp.example.com")
    String[] dns_search() default {};

    /** Off by default, as OpenVPN's client-to-client: a client reaches the server and what lies beyond it only. */
    @AttributeDefinition(description = "let clients reach each other through the server")
    boolean client_to_client() default false;

    @AttributeDefinition(description = "static tunnel addresses by client identity, as identity=address")
    String[] statics() default {};

    /**
     * Off by default, as OpenVPN without duplicate-cn: a new session of an identity replaces its old
     * one, so that one certificate holds one address and cannot take the whole pool.
     */
    @AttributeDefinition(description = "let one identity (certificate) hold several sessions at once; when false a new"
            + " session of an identity replaces its old one")
    boolean duplicate_identity() default false;

    @AttributeDefinition(description = "seconds an address freed by one client is kept from other clients, so that"
            + " traffic still addressed to the departed client reaches nobody else")
    int address_quarantine_seconds() default 60;

    @AttributeDefinition(description = "file that keeps who held which tunnel address across restarts (OpenVPN's"
            + " ifconfig-pool-persist), relative to the installation folder; empty for none")
    String leases() default "run/leases";

    @AttributeDefinition(description = "interface NATed traffic leaves by; empty for the default route's")
    String egress() default "";

    @AttributeDefinition(description = "seconds between keepalive pings")
    int keepalive_seconds() default 10;

    @AttributeDefinition(description = "seconds of silence after which a client is dropped")
    int timeout_seconds() default 60;

    /**
     * A plain peer (the original C MiniVPN's client) is never pinged, so only its own traffic shows
     * it alive. 180 s, as the DTLS transport's session.idle.timeout, which ends an idle session anyway.
     */
    @AttributeDefinition(description = "seconds a plain peer (one that sends packets without a hello, like the"
            + " original C MiniVPN's client) may send nothing before it is dropped; 0 for never")
    int plain_timeout_seconds() default 180;

    @AttributeDefinition(description = "the TUN device to serve on (target filter)")
    String tun_target() default "(tun.name=tun0)";

    @AttributeDefinition(description = "the routing configurator to use (target filter)")
    String routing_target() default "(route.type=linux)";
}

package org.minivpn.relay;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the VPN client, PID {@code org.minivpn.relay.client}. */
@ObjectClassDefinition(name = "MiniVPN client", description = "One tunnel to one server.")
@interface ClientConfig {

    @AttributeDefinition(description = "the server vpn:connect uses when given none, as host or host:port")
    String server() default "";

    @AttributeDefinition(description = "transport type to connect with; empty for the highest-ranked secure one."
            + " Changing it moves a connected client to that transport by reconnecting")
    String transport() default "";

    /** As OpenVPN's connection blocks, tried in order; AnyConnect's DTLS-then-TLS the common case. */
    @AttributeDefinition(description = "transport types to try in order, comma separated, e.g. dtls, tls: when one cannot"
            + " reach the server (UDP blocked) the next is tried; a refusal is never retried over another. Empty: the"
            + " secure transports in rank order. transport, or vpn:connect -t, names one and overrides this")
    String transports() default "";

    @AttributeDefinition(description = "milliseconds a try may take when another transport comes after it, so that"
            + " a blocked transport costs this, not handshake.timeout.seconds")
    int fallback_after_millis() default 2500;

    @AttributeDefinition(description = "DNS name or IP address the server's certificate must carry as a subject"
            + " alternative name (its CN counts only for a name, on a certificate without DNS names); empty: the host"
            + " name or address given to vpn:connect")
    String server_name() default "";

    @AttributeDefinition(description = "tunnel addresses (CIDR) to use when the server pushes none")
    String[] address() default {};

    @AttributeDefinition(description = "tunnel MTU when the server pushes none")
    int mtu() default 1400;

    @AttributeDefinition(description = "route only the server's pushed routes through the tunnel")
    boolean split_tunnel() default false;

    @AttributeDefinition(description = "drop all traffic outside the tunnel until vpn:disconnect; with pushed"
            + " resolvers also DNS to any other resolver")
    boolean kill_switch() default false;

    /** A string, not a boolean: ConfigAdmin would read "on" as false. */
    @AttributeDefinition(description = "on: use the resolvers the server pushes while connected (resolvectl, or"
            + " /etc/resolv.conf rewritten and restored); off: leave name resolution alone")
    String dns() default "on";

    @AttributeDefinition(description = "seconds one handshake may take")
    int handshake_timeout_seconds() default 10;

    @AttributeDefinition(description = "seconds vpn:connect keeps trying while handshakes time out (a lossy path);"
            + " each try takes up to handshake.timeout.seconds")
    int connect_timeout_seconds() default 30;

    /** DTLS 1.2 has no key update: a new session replaces the keys (RFC 9147 4.5.3's AES-GCM record limit). */
    @AttributeDefinition(description = "records under one key, in either direction, after which the client moves to a new"
            + " session (make-before-break); 0 for never")
    long rekey_records() default 1L << 24;

    @AttributeDefinition(description = "seconds after which the client moves to a new session with new keys; 0 for never")
    int rekey_seconds() default 3600;

    @AttributeDefinition(description = "milliseconds to wait for the server's configuration after the handshake")
    int config_wait_millis() default 3000;

    @AttributeDefinition(description = "seconds between keepalive pings when the server pushes none")
    int keepalive_seconds() default 10;

    @AttributeDefinition(description = "seconds of silence after which the server is declared dead, when it pushes none")
    int timeout_seconds() default 60;

    /** WireGuard retries its handshake every 5 s for as long as it has data to send; a short ceiling brings the tunnel back soon after its server. */
    @AttributeDefinition(description = "ceiling in seconds of the reconnect backoff (1 s, then doubling, ±20 % jitter)")
    int reconnect_max_seconds() default 2;

    @AttributeDefinition(description = "milliseconds of data sent with nothing received before the server is probed"
            + " with pings")
    int probe_after_millis() default 1000;

    @AttributeDefinition(description = "milliseconds between probes of a server that does not answer")
    int probe_interval_millis() default 500;

    @AttributeDefinition(description = "milliseconds of unanswered probing after which the server is declared dead and"
            + " the client reconnects")
    int probe_dead_millis() default 2500;

    @AttributeDefinition(description = "seconds of data sent to a plain server with nothing received before it is"
            + " declared dead and the client reconnects; 0 for never")
    int plain_silence_seconds() default 15;

    /** The original C MiniVPN's server writes every record to its TUN and exits on the first that is not an IP packet. */
    @AttributeDefinition(description = "speak plainly, as the original C MiniVPN's client does: IP packets only, no"
            + " hello, keepalives or goodbye (needed with the original's server); address must then be set")
    boolean plain() default false;

    /** As the server's plain.timeout.seconds and the DTLS transport's session.idle.timeout. */
    @AttributeDefinition(description = "seconds a plain server may send nothing before this client declares it dead"
            + " and reconnects; 0 for never")
    int plain_timeout_seconds() default 180;

    @AttributeDefinition(description = "the TUN device to use (target filter)")
    String tun_target() default "(tun.name=tun0)";

    @AttributeDefinition(description = "the routing configurator to use (target filter)")
    String routing_target() default "(route.type=linux)";
}

package org.minivpn.route.linux;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the Linux routing configurator (PID {@value LinuxRouteConfigurator#PID}). */
@ObjectClassDefinition(name = "MiniVPN Linux routing",
        description = "Routes and firewall rules for tunnels, through ip, nft and sysctl, journaled so that a crash"
                + " never leaves them behind.")
public @interface RouteConfig {

    @AttributeDefinition(description = "The write-ahead journal of changes. Empty for"
            + " ${minivpn.home}/run/routes.journal.")
    String journal() default "";

    @AttributeDefinition(description = "A network namespace (a name under /run/netns) to configure instead of the"
            + " one the appliance runs in; its commands run under `ip netns exec`. Empty for the appliance's own.")
    String netns() default "";

    @AttributeDefinition(description = "The firewall mark of the tunnel's own socket, decimal or 0x-hex; it must"
            + " equal socket.mark in org.minivpn.transport.dtls. A full tunnel is then routed as wg-quick does:"
            + " `ip rule add not fwmark M table T`, `ip rule add table main suppress_prefixlength 0`, the TUN as"
            + " table T's default route, so no host route to the server is needed (it survives the client's"
            + " address changing). Used only when the kernel shows the mark on the tunnel's socket; otherwise, or"
            + " with 0 or empty, a host route to the server and the 0/1 + 128/1 halves.")
    String fwmark() default "0x6d76";

    @AttributeDefinition(description = "The routing table of a full tunnel's routes under policy routing; it must"
            + " hold no routes before a connect. 1..2147483647 but 253, 254, 255.")
    long table() default 51821;

    @AttributeDefinition(description = "How a client applies the resolvers its server pushes: auto (resolvectl"
            + " where systemd-resolved serves this machine, else file), resolvectl (per link on the TUN, undone by"
            + " resolvectl revert), or file (resolv.conf rewritten in place, the original put back byte for byte on"
            + " disconnect and after a crash).")
    String dns_method() default "auto";

    @AttributeDefinition(description = "The file the file method rewrites. Under netns, that namespace's"
            + " /etc/netns/NAME/resolv.conf instead.")
    String resolv_conf() default "/etc/resolv.conf";

    @AttributeDefinition(description = "How long one ip, nft or sysctl command may take before it is killed"
            + " and the step fails, in seconds.", min = "1", max = "300")
    int commandTimeoutSeconds() default 10;
}

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

    @AttributeDefinition(description = "How long one ip, nft or sysctl command may take before it is killed"
            + " and the step fails, in seconds.", min = "1", max = "300")
    int commandTimeoutSeconds() default 10;
}

package org.minivpn.web;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** configs/org.minivpn.web.cfg: where the status page and /metrics listen, and who may read them. */
@ObjectClassDefinition(name = "MiniVPN status page", description = "The status page and /metrics (Felix HTTP, Jetty)")
public @interface WebConfig {

    @AttributeDefinition(description = "address to listen on; anything but a loopback address needs a password")
    String bind() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port; 0 picks a free one (appliance.log names it)")
    int port() default 8023;

    @AttributeDefinition(type = AttributeType.PASSWORD, description = "when set, every request must carry it: HTTP basic"
            + " authentication (any user name) or 'Authorization: Bearer <password>' (Prometheus' authorization setting)")
    String password() default "";

    @AttributeDefinition(description = "host names besides the bind address and localhost that requests may name in"
            + " their Host header, e.g. the server's DNS name when bound to a public address")
    String[] allowed_hosts() default {};
}

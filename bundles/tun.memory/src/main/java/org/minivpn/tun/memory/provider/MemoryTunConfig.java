package org.minivpn.tun.memory.provider;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "MiniVPN in-memory TUN device",
        description = "A TUN device without a kernel, for tests and demos without root: the device is "
                + "registered as a TunDevice service, its kernel side as a MemoryTunDevice service.")
@interface MemoryTunConfig {

    @AttributeDefinition(description = "interface name, the tun.name service property: 1..15 bytes, "
            + "no '/', ':' or white space")
    String name() default "tun0";

    @AttributeDefinition(name = "MTU", description = "MTU in bytes, 576..65535 (at least 1280 with an IPv6 address)")
    int mtu() default 1400;

    @AttributeDefinition(description = "interface addresses with prefix, IPv4 or IPv6, e.g. 10.210.0.1/24, fd00::1/64")
    String[] addresses() default {};

    @AttributeDefinition(description = "link up: while down, written packets are dropped")
    boolean up() default true;

    @AttributeDefinition(name = "queue.bytes", description = "queue of each direction in bytes, 65539..1073741824")
    int queue_bytes() default 262144;
}

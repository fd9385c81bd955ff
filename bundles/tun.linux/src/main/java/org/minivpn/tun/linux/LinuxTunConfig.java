package org.minivpn.tun.linux;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "MiniVPN Linux TUN device",
        description = "A kernel TUN interface, registered as a TunDevice service while it exists; "
                + "removed when this configuration is deleted. Needs root or CAP_NET_ADMIN.")
@interface LinuxTunConfig {

    @AttributeDefinition(description = "interface name, the tun.name service property: 1..15 bytes, "
            + "no '/', ':' or white space; a %d in it lets the kernel number it")
    String name() default "tun%d";

    @AttributeDefinition(name = "MTU", description = "MTU in bytes, 576..65535 (at least 1280 with an IPv6 address)")
    int mtu() default 1400;

    @AttributeDefinition(description = "interface addresses with prefix, IPv4 or IPv6, e.g. 10.210.0.1/24, fd00::1/64")
    String[] addresses() default {};

    @AttributeDefinition(description = "bring the link up")
    boolean up() default true;

    @AttributeDefinition(description = "let the kernel pass TCP segments of up to 64 KB and leave checksums"
            + " to the device (IFF_VNET_HDR, TUNSETOFFLOAD); MiniVPN cuts and merges them, so the packets in"
            + " the tunnel are the same either way; false gives one packet per read and write")
    boolean offload() default true;
}

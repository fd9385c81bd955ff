package org.minivpn.transport.udp;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the plaintext UDP transport (PID {@value UdpTransport#PID}). */
@ObjectClassDefinition(name = "MiniVPN plaintext UDP transport",
        description = "Packets in the clear over UDP, for debugging only")
public @interface UdpConfig {

    @AttributeDefinition(description = "must be true to start: packets cross the network unencrypted and anyone can connect")
    boolean insecure() default false;

    @AttributeDefinition(description = "server side: seconds without a packet from a client before its session ends")
    int session_idle_timeout() default 180;

    @AttributeDefinition(description = "largest packet a session sends, in bytes")
    int max_packet_size() default 1500;
}

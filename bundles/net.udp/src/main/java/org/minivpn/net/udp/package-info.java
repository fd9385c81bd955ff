/**
 * The UDP socket layer the transports share: {@link org.minivpn.net.udp.UdpChannel}, a socket whose
 * every wait is bounded and can be cut short ({@link org.minivpn.net.udp.UdpChannel#wakeup()}),
 * that sends runs of equal-sized datagrams in one system call (UDP segmentation offload, with a
 * fallback per socket and per destination), lets the kernel merge received runs (UDP GRO) when
 * asked, binds dual-stack and marks a client's socket for policy routing; and
 * {@link org.minivpn.net.udp.SegmentBatch}, which collects one peer's datagrams into such a run; and
 * {@link org.minivpn.net.udp.SocketMark}, the firewall mark of any client socket, the TLS
 * transport's TCP one too.
 * Nothing here allocates per datagram in steady state. Native access (JNA) is optional: without it
 * every datagram is its own system call and sockets stay unmarked. Shaped after wireguard-go's
 * {@code conn} package ({@code bind_std.go}).
 */
@Export
@Version("1.1.0")
package org.minivpn.net.udp;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

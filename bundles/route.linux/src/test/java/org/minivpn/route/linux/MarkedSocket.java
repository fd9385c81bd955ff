package org.minivpn.route.linux;

import java.net.InetAddress;
import java.time.Duration;

/**
 * A connected IPv4 UDP socket with a firewall mark (SO_MARK), made with libc calls in a test
 * namespace: what the DTLS transport's client socket is to the routing. {@link #reconnect} does
 * what the transport does when its source address left the host.
 */
final class MarkedSocket implements AutoCloseable {

    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_MARK = 36;
    private static final int MSG_DONTWAIT = 0x40;

    private final int fd;
    private final byte[] peer;

    private MarkedSocket(int fd, byte[] peer) {
        this.fd = fd;
        this.peer = peer;
    }

    static MarkedSocket open(Netns ns, InetAddress server, int port, int mark) throws Exception {
        byte[] peer = new byte[16];
        peer[0] = AF_INET; // sa_family, little-endian
        peer[2] = (byte) (port >>> 8);
        peer[3] = (byte) port;
        System.arraycopy(server.getAddress(), 0, peer, 4, 4);
        int fd = InNamespace.call(ns, Duration.ofSeconds(5), () -> InNamespace.LibC.INSTANCE.socket(AF_INET, SOCK_DGRAM, 0));
        InNamespace.LibC.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_MARK, new int[] {mark}, 4);
        InNamespace.LibC.INSTANCE.connect(fd, peer, peer.length);
        return new MarkedSocket(fd, peer);
    }

    /** Sends a few bytes; false when the kernel refused (e.g. ENETUNREACH). */
    boolean send() {
        try {
            return InNamespace.LibC.INSTANCE.send(fd, new byte[] {1, 2, 3}, 3, 0) == 3;
        } catch (com.sun.jna.LastErrorException e) {
            return false;
        }
    }

    /** True when a datagram came within 3 s (polled, never blocking). */
    boolean receive() throws InterruptedException {
        byte[] buf = new byte[64];
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (InNamespace.LibC.INSTANCE.recv(fd, buf, buf.length, MSG_DONTWAIT) > 0) {
                    return true;
                }
            } catch (com.sun.jna.LastErrorException e) {
                // EAGAIN: nothing yet
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Disconnects (AF_UNSPEC) and connects again, so that the kernel picks the source address anew. */
    void reconnect() {
        InNamespace.LibC.INSTANCE.connect(fd, new byte[16], 16);
        InNamespace.LibC.INSTANCE.connect(fd, peer, peer.length);
    }

    @Override
    public void close() {
        InNamespace.LibC.INSTANCE.close(fd);
    }
}

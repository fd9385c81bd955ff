package org.minivpn.transport.udp;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * Sends a UDP datagram with a source port of our choosing, 0 included, through a raw socket
 * (needs root or CAP_NET_RAW); the kernel writes the IP header. For loopback tests only.
 */
final class RawUdp {

    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_UDP = 17;

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int socket(int domain, int type, int protocol) throws LastErrorException;

        long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private RawUdp() {
    }

    /** Sends {@code payload} from {@code sourcePort} to an IPv4 {@code to}, UDP checksum 0 (none, RFC 768). */
    static void send(int sourcePort, InetSocketAddress to, byte[] payload) throws IOException {
        if (!(to.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 only: " + to);
        }
        int length = 8 + payload.length;
        byte[] datagram = new byte[length];
        datagram[0] = (byte) (sourcePort >>> 8);
        datagram[1] = (byte) sourcePort;
        datagram[2] = (byte) (to.getPort() >>> 8);
        datagram[3] = (byte) to.getPort();
        datagram[4] = (byte) (length >>> 8);
        datagram[5] = (byte) length;
        System.arraycopy(payload, 0, datagram, 8, payload.length);
        byte[] sockaddr = new byte[16]; // struct sockaddr_in: family in host order (little-endian here), port 0, address
        sockaddr[0] = AF_INET;
        System.arraycopy(to.getAddress().getAddress(), 0, sockaddr, 4, 4);
        int fd;
        try {
            fd = LibC.INSTANCE.socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
        } catch (LastErrorException e) {
            throw new IOException("cannot open a raw socket: errno " + e.getErrorCode(), e);
        }
        try {
            LibC.INSTANCE.sendto(fd, datagram, datagram.length, 0, sockaddr, sockaddr.length);
        } catch (LastErrorException e) {
            throw new IOException("raw sendto failed: errno " + e.getErrorCode(), e);
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}

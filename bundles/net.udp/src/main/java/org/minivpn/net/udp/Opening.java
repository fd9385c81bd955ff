package org.minivpn.net.udp;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;

/**
 * How a {@link UdpChannel}'s socket comes to be: which family it is opened in, the dual-stack
 * fallback of a server's wildcard bind, and the firewall mark a client's socket carries before it
 * connects. Everything here runs once per socket, never per datagram.
 */
final class Opening {

    /** The mark of the client sockets {@link UdpChannel#connect(InetSocketAddress, Logger)} opens on this thread. */
    private static final ThreadLocal<Integer> CLIENT_MARK = new ThreadLocal<>();

    private Opening() {
    }

    /** See {@link UdpChannel#bind}. */
    static UdpChannel bind(InetSocketAddress local, Logger log) throws IOException {
        if (local.getAddress() instanceof Inet6Address v6 && v6.isAnyLocalAddress()) {
            try {
                return bind(local, StandardProtocolFamily.INET6, log);
            } catch (BindException e) {
                throw e; // the port is taken: IPv4 would say the same
            } catch (UnsupportedOperationException | SocketException e) {
                InetSocketAddress v4 = new InetSocketAddress("0.0.0.0", local.getPort());
                log.log(Level.WARNING, "no IPv6 here (" + e.getMessage() + "): listening on " + v4
                        + " for IPv4 clients only");
                return bind(v4, StandardProtocolFamily.INET, log);
            }
        }
        return bind(local, family(local), log);
    }

    private static UdpChannel bind(InetSocketAddress local, StandardProtocolFamily family, Logger log)
            throws IOException {
        DatagramChannel channel = DatagramChannel.open(family);
        try {
            channel.bind(local);
            return new UdpChannel(channel, family == StandardProtocolFamily.INET6, null, log);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The mark {@link #marking} gives this thread's client sockets; 0 outside it. */
    static int threadMark() {
        Integer mark = CLIENT_MARK.get();
        return mark == null ? 0 : mark;
    }

    /** See {@link UdpChannel#connect(InetSocketAddress, int, Logger)}. */
    static UdpChannel connect(InetSocketAddress remote, int mark, Logger log) throws IOException {
        DatagramChannel channel = DatagramChannel.open(family(remote));
        try {
            SocketMark.apply(channel, mark, log);
            channel.connect(remote);
            return new UdpChannel(channel, family(remote) == StandardProtocolFamily.INET6, remote, log);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** See {@link UdpChannel#marking}. */
    static <T> T marking(int mark, UdpChannel.Opener<T> open) throws IOException {
        CLIENT_MARK.set(mark);
        try {
            return open.open();
        } finally {
            CLIENT_MARK.remove();
        }
    }

    private static StandardProtocolFamily family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }
}

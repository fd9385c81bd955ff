package org.minivpn.net.udp;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.NetworkChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The firewall mark ({@code SO_MARK}, socket(7)) of a client's own socket, UDP or TCP: the kernel
 * routes a marked socket's packets by the rules that match the mark, as wg-quick marks WireGuard's
 * socket, so that the tunnel's own packets leave by the underlay while policy routing sends all
 * other traffic into the tunnel. Both transports mark through here: the DTLS transport's
 * {@link UdpChannel#connect} and the TLS transport's TCP socket (an unmarked TCP socket to the
 * server would be routed into the tunnel it carries). Set once per socket, before it connects, so
 * that the kernel picks its source address by the routes the marked packets take.
 */
public final class SocketMark {

    private static final AtomicBoolean FAILURE_TOLD = new AtomicBoolean();

    private SocketMark() {
    }

    /**
     * Marks {@code channel}'s socket with {@code mark} (0: leaves it alone and returns true). When
     * the mark cannot be set (no CAP_NET_ADMIN, no native access) the socket stays unmarked and
     * this is said once on {@code log}: the route configurator then finds no marked socket and keeps
     * a host route to the server instead. Returns whether the socket carries the mark.
     *
     * @param channel an open socket channel of this JVM's own implementation (any {@code open()} of
     *     {@code java.nio.channels}), not yet connected
     */
    public static boolean apply(NetworkChannel channel, int mark, Logger log) {
        if (mark == 0) {
            return true;
        }
        int errno;
        try {
            errno = Gso.mark(channel, mark);
        } catch (LinkageError e) {
            errno = -1; // no JNA in this framework
        }
        if (errno != 0 && FAILURE_TOLD.compareAndSet(false, true)) {
            log.log(Level.WARNING, "cannot set the firewall mark 0x" + Integer.toHexString(mark)
                    + " on the tunnel's socket (" + (errno == 1 ? "EPERM: the appliance needs CAP_NET_ADMIN, i.e. root"
                    : errno < 0 ? "no native access: bin/minivpn passes --add-exports java.base/sun.nio.ch=ALL-UNNAMED"
                    + " and ships JNA" : "errno " + errno)
                    + "); the routes keep a host route to the server instead of policy routing (said once)");
        }
        return errno == 0;
    }

    /**
     * Parses a configured mark ({@code socket.mark}): decimal or 0x-hexadecimal, 32 bits; empty for
     * 0 (none). A bad value marks nothing, with a warning on {@code log} naming {@code configFile}.
     */
    public static int parse(String text, String configFile, Logger log) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty()) {
            return 0;
        }
        try {
            long v = Long.decode(t);
            if (v >= 0 && v <= 0xFFFF_FFFFL) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        log.log(Level.WARNING, "socket.mark = " + text + " in " + configFile + " is not a 32-bit number (e.g."
                + " 0x6d76): the tunnel's socket is not marked, so the routes keep a host route to the server");
        return 0;
    }
}

package org.minivpn.net.udp;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A UDP socket whose every wait is bounded: a non-blocking channel with its own selector, which
 * another thread can {@link #wakeup()}. Receiving is for one thread at a time; sending is safe from
 * any number of threads, but {@link #sendSegments} (UDP segmentation offload) from one at a time.
 * In steady state nothing here allocates. Sockets are opened by {@link #bind} (a server's) and
 * {@link #connect} (a client's); closing one ends every wait on it.
 */
public final class UdpChannel implements Closeable {

    private static final Consumer<SelectionKey> IGNORE = key -> { };
    private static final int SOCKET_BUFFER = 4 << 20;
    /** How long a send may wait for room in the socket buffer before the datagram is dropped. */
    private static final long SEND_PATIENCE_NANOS = 2_000_000;

    /** At most one re-connect of a client socket this often, however many sends fail. */
    private static final long REPIN_INTERVAL_NANOS = 200_000_000;
    private static final int ENETUNREACH = 101;
    private static final int EINVAL = 22;
    private static final int EADDRNOTAVAIL = 99;
    private static final int EDESTADDRREQ = 89;

    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress remote; // the server of a client socket; null for a server socket
    private final Logger log;
    private final Object repinLock = new Object();
    private volatile long lastRepin; // System.nanoTime() of the last re-connect; guarded by repinLock for writes
    private Gso.Sender gso; // null without segmentation offload; guarded by the batch sender's lock
    private final OffloadFallback fallback = new OffloadFallback(); // guarded by the batch sender's lock

    UdpChannel(DatagramChannel channel, boolean ipv6, InetSocketAddress remote, Logger log) throws IOException {
        this.channel = channel;
        this.remote = remote;
        this.log = log;
        this.selector = Selector.open();
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
        this.gso = offload(channel, ipv6);
    }

    private static Gso.Sender offload(DatagramChannel channel, boolean ipv6) {
        try {
            return Gso.Sender.of(channel, ipv6);
        } catch (LinkageError e) {
            return null; // no JNA in this framework
        }
    }

    /**
     * Lets the kernel merge runs of datagrams from one sender into one read (UDP_GRO), when it can;
     * the reader must then take each read as a sequence of records. Returns whether it will.
     */
    public boolean mergeReceived() {
        try {
            return Gso.mergeReceived(channel);
        } catch (LinkageError e) {
            return false; // no JNA in this framework
        }
    }

    /** Whether {@link #sendSegments} sends many datagrams in one call; if not, it sends them one by one. */
    public boolean offloads() {
        return gso != null;
    }

    /**
     * A server socket bound to {@code local}. The IPv6 wildcard {@code ::} gives a dual-stack socket
     * (IPV6_V6ONLY off, which the JDK sets on every IPv6 socket), so one socket serves clients of
     * both families, IPv4 ones as IPv4-mapped addresses, which the JDK hands over as plain IPv4
     * addresses, as wireguard-go and OpenVPN's {@code proto udp6} with {@code bind ipv6only} off do.
     * Where the kernel or the JVM has no IPv6, {@code ::} falls back to {@code 0.0.0.0} (said on
     * {@code log}). An explicit address, {@code 0.0.0.0} included, binds that address only.
     *
     * @param log where this socket reports what happens to it: its owner's logger, so that the log
     *     names the transport
     */
    public static UdpChannel bind(InetSocketAddress local, Logger log) throws IOException {
        return Opening.bind(local, log);
    }

    /**
     * A client socket on an ephemeral port, connected to {@code remote}, with the firewall mark that
     * {@link #marking} gives this thread (none outside it).
     */
    public static UdpChannel connect(InetSocketAddress remote, Logger log) throws IOException {
        return Opening.connect(remote, Opening.threadMark(), log);
    }

    /**
     * A client socket on an ephemeral port, connected to {@code remote}. A non-zero {@code mark} is
     * set ({@code SO_MARK}) before the socket is connected, so that the kernel chooses its source
     * address by the routes its marked datagrams take (the main table, outside the tunnel, under
     * the route configurator's policy routing), as wg-quick marks WireGuard's socket. When the mark
     * cannot be set (no CAP_NET_ADMIN), the socket is used unmarked and this is said once: the
     * route configurator then finds no marked socket and keeps a host route to the server instead.
     */
    public static UdpChannel connect(InetSocketAddress remote, int mark, Logger log) throws IOException {
        return Opening.connect(remote, mark, log);
    }

    /**
     * Runs {@code open} with {@code mark} as the firewall mark of the client sockets that
     * {@link #connect(InetSocketAddress, Logger)} opens on this thread meanwhile; 0 for none. A
     * transport wraps a client's handshake in it, so that the session's socket is marked before
     * its first datagram.
     */
    public static <T> T marking(int mark, Opener<T> open) throws IOException {
        return Opening.marking(mark, open);
    }

    /** Opens something that holds a client socket. */
    @ConsumerType
    @FunctionalInterface
    public interface Opener<T> {
        T open() throws IOException;
    }

    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /**
     * Receives one datagram into {@code into} (from its position), waiting at most
     * {@code timeoutMillis} or until {@link #wakeup()}. Returns the sender, or null.
     */
    public InetSocketAddress receive(ByteBuffer into, long timeoutMillis) throws IOException {
        InetSocketAddress from = (InetSocketAddress) channel.receive(into);
        if (from != null || timeoutMillis <= 0) {
            return from;
        }
        selector.select(IGNORE, timeoutMillis);
        return (InetSocketAddress) channel.receive(into);
    }

    /** For a connected socket: like {@link #receive}, returning the length, or -1 when none came. */
    public int read(ByteBuffer into, long timeoutMillis) throws IOException {
        int n = readConnected(into);
        if (n > 0 || timeoutMillis <= 0) {
            return n > 0 ? n : -1;
        }
        if (n < 0) { // not connected: a re-connect found no route yet
            LockSupport.parkNanos(Math.min(timeoutMillis, 50) * 1_000_000);
            repin();
            return -1;
        }
        selector.select(IGNORE, timeoutMillis);
        n = readConnected(into);
        return n > 0 ? n : -1;
    }

    /** Reads one datagram of the connected peer: its length, 0 when none is there, -1 while not connected. */
    private int readConnected(ByteBuffer into) throws IOException {
        try {
            return channel.read(into);
        } catch (NotYetConnectedException e) {
            return -1; // between the two halves of a re-connect, or after one that found no route
        }
    }

    /**
     * Sends the datagram in {@code from} (position to limit) to {@code to}, or on the connected
     * socket when {@code to} is null. Waits at most 2 ms for room in a full socket buffer, then
     * drops the datagram and returns false, as a full network queue would. A client socket whose
     * send fails is re-connected (see {@link #repin}) and the datagram tried once more.
     */
    public boolean send(ByteBuffer from, InetSocketAddress to) throws IOException {
        long deadline = 0;
        boolean repinned = false;
        while (true) {
            int n;
            try {
                n = to == null ? channel.write(from) : channel.send(from, to);
            } catch (PortUnreachableException e) {
                throw e;
            } catch (IOException | NotYetConnectedException e) {
                if (to == null && !repinned && repin()) {
                    repinned = true;
                    continue;
                }
                if (e instanceof NotYetConnectedException) {
                    throw new NoRouteToHostException("no route to " + remote + " from any address of this host"
                            + " yet; the socket connects again once there is one");
                }
                throw (IOException) e;
            }
            if (n > 0) {
                return true;
            }
            deadline = pause(deadline);
            if (deadline == 0) {
                return false;
            }
        }
    }

    /**
     * Connects a client socket anew, so that the kernel chooses its source address again: a
     * connected UDP socket keeps the address it was connected from, and once that address is gone
     * from the host (moved to another one on its link, a new DHCP lease) every send fails with
     * ENETUNREACH or EINVAL, although a route to the server exists. The port stays. The server
     * then sees the session's records come from a new address and, with the connection ID, moves
     * the session there after checking the path (RFC 9146 section 6). At most once per
     * {@value #REPIN_INTERVAL_NANOS} ns; returns true when the socket was connected anew now.
     */
    private boolean repin() {
        if (remote == null) {
            return false;
        }
        synchronized (repinLock) {
            long now = System.nanoTime();
            if (lastRepin != 0 && now - lastRepin < REPIN_INTERVAL_NANOS) {
                return false;
            }
            lastRepin = now | 1;
            InetSocketAddress before = null;
            try {
                if (channel.isConnected()) {
                    before = (InetSocketAddress) channel.getLocalAddress();
                    channel.disconnect();
                }
                channel.connect(remote);
                InetSocketAddress after = (InetSocketAddress) channel.getLocalAddress();
                if (before != null && !after.getAddress().equals(before.getAddress())) {
                    log.log(Level.INFO, "the tunnel's socket to " + remote + " now sends"
                            + " from " + after + " (was " + before + ": that address is gone or no longer routes there)");
                }
                return true;
            } catch (IOException | RuntimeException e) {
                log.log(Level.DEBUG, "connecting the socket to " + remote + " anew failed: "
                        + e + "; tried again at the next send");
                return false;
            }
        }
    }

    /**
     * Waits a moment for room in the socket buffer, at most {@value #SEND_PATIENCE_NANOS} ns after
     * the first call of a send (deadline 0). Returns the deadline to pass next time, or 0 when it
     * passed and the send gives up.
     */
    private static long pause(long deadline) {
        long now = System.nanoTime();
        if (deadline == 0) {
            deadline = (now + SEND_PATIENCE_NANOS) | 1;
        } else if (now - deadline > 0) {
            return 0;
        }
        LockSupport.parkNanos(20_000);
        return deadline;
    }

    /**
     * Sends the records in {@code from} (a heap buffer, position to limit), each {@code segment}
     * bytes long but the last, which may be shorter, as one datagram each to {@code to} (or on the
     * connected socket), in one system call when the kernel offers segmentation offload. Like
     * {@link #send}, waits at most 2 ms for room and returns false when the records were dropped.
     * Callers serialise their calls of this method.
     */
    public boolean sendSegments(ByteBuffer from, int segment, InetSocketAddress to) throws IOException {
        Gso.Sender sender = gso;
        if (sender != null && fallback.mayTry(to, System.nanoTime())) {
            long deadline = 0;
            boolean repinned = false;
            while (true) {
                int r = sender.send(from.array(), from.arrayOffset() + from.position(), from.remaining(), segment, to);
                if (r > 0) {
                    from.position(from.limit());
                    return true;
                }
                if (r == -Gso.Sender.ECONNREFUSED) {
                    throw new PortUnreachableException("the peer's port is closed");
                }
                if (r < 0 && to == null && sourceGone(-r)) {
                    if (!repinned && repin()) {
                        repinned = true;
                        continue;
                    }
                    break; // one by one below, without holding offload back: the path is the problem
                }
                if (r < 0) {
                    if (fallback.failed(to, -r, System.nanoTime())) {
                        gso = null;
                        log.log(Level.INFO, "UDP segmentation offload failed (errno " + -r
                                + "): this socket cannot segment; one datagram per record from now on");
                    } else {
                        log.log(Level.DEBUG, "UDP segmentation offload to " + to
                                + " failed (errno " + -r + "); one datagram per record to it for a while");
                    }
                    break;
                }
                deadline = pause(deadline);
                if (deadline == 0) {
                    return false;
                }
            }
        }
        int end = from.limit();
        boolean all = true;
        for (int at = from.position(); at < end; at += segment) {
            from.limit(Math.min(at + segment, end)).position(at);
            all &= send(from, to);
        }
        from.limit(end).position(end);
        return all;
    }

    /** Errors of a connected socket's send that say its source address no longer works. */
    private boolean sourceGone(int errno) {
        return remote != null && (errno == ENETUNREACH || errno == EINVAL || errno == EADDRNOTAVAIL
                || errno == EDESTADDRREQ);
    }

    /** Makes a waiting {@link #receive} or {@link #read} return now. Any thread. */
    public void wakeup() {
        selector.wakeup();
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left to release
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}

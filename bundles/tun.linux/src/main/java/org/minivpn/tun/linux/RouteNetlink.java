package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.minivpn.api.IpPrefix;

/**
 * An rtnetlink socket that sets one interface's MTU, link state and addresses, each request
 * acknowledged by the kernel (or refused with its errno and, where the kernel gives one, its own
 * message).
 *
 * <p>The socket belongs to the network namespace of the thread that opened it, so a device
 * created inside a namespace is configured there whichever thread calls later. Calls are
 * serialized on this object; each waits at most {@link #TIMEOUT_MILLIS} for its answer.
 */
final class RouteNetlink implements AutoCloseable {

    static final int TIMEOUT_MILLIS = 2000;

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int MSG_DONTWAIT = 0x40;

    private static final short NLMSG_ERROR = 2;
    private static final short RTM_NEWLINK = 16;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_DELADDR = 21;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_REPLACE = 0x100;
    private static final short NLM_F_CREATE = 0x400;
    private static final short NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;

    private static final short IFLA_MTU = 4;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final short IFA_FLAGS = 8;
    private static final int IFA_F_NODAD = 0x02;
    private static final int IFF_UP = 0x1;

    private static final int BUFFER = 8192;

    private final int fd;
    private final Memory buffer = new Memory(BUFFER); // guarded by this
    private final Memory pollFd = new Memory(8); // guarded by this
    private int seq; // guarded by this
    private boolean closed; // guarded by this

    /** Opens a socket in the calling thread's network namespace. */
    RouteNetlink() throws IOException {
        fd = LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            throw new IOException("cannot open an rtnetlink socket: " + LibC.describe(LibC.errno()));
        }
        Memory one = new Memory(4);
        one.setInt(0, 1);
        // Best effort: older kernels lack these, and then the answer simply has no message.
        LibC.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
        LibC.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
        pollFd.setInt(0, fd);
        pollFd.setShort(4, LibC.POLLIN);
    }

    /** Sets the MTU and, unless {@code up} is null, the link state. */
    synchronized void setLink(int index, int mtu, Boolean up) throws IOException {
        ByteBuffer m = message(RTM_NEWLINK, (short) 0);
        m.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(index); // ifinfomsg: family, pad, type, index
        m.putInt(up != null && up ? IFF_UP : 0).putInt(up != null ? IFF_UP : 0); // flags, change
        attribute(m, IFLA_MTU, 4).putInt(mtu);
        transact(m);
    }

    /** Adds an address (or replaces the same one). */
    synchronized void addAddress(int index, IpPrefix prefix) throws IOException {
        transact(address(RTM_NEWADDR, (short) (NLM_F_CREATE | NLM_F_REPLACE), index, prefix));
    }

    /** Removes an address; true if it was there. */
    synchronized boolean deleteAddress(int index, IpPrefix prefix) throws IOException {
        try {
            transact(address(RTM_DELADDR, (short) 0, index, prefix));
            return true;
        } catch (KernelRefused e) {
            if (e.errno == LibC.EADDRNOTAVAIL) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }

    private ByteBuffer address(short type, short flags, int index, IpPrefix prefix) {
        byte[] address = prefix.address().getAddress();
        boolean v4 = prefix.address() instanceof Inet4Address;
        ByteBuffer m = message(type, flags);
        m.put((byte) (v4 ? AF_INET : AF_INET6)).put((byte) prefix.prefixLength());
        m.put((byte) (v4 ? 0 : IFA_F_NODAD)).put((byte) 0).putInt(index); // ifaddrmsg: flags, scope universe
        attribute(m, IFA_LOCAL, address.length).put(address);
        attribute(m, IFA_ADDRESS, address.length).put(address);
        if (!v4) {
            attribute(m, IFA_FLAGS, 4).putInt(IFA_F_NODAD);
        }
        return m;
    }

    private ByteBuffer message(short type, short flags) {
        ByteBuffer m = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        m.putInt(0).putShort(type).putShort((short) (flags | NLM_F_REQUEST | NLM_F_ACK)).putInt(++seq).putInt(0);
        return m;
    }

    private static ByteBuffer attribute(ByteBuffer m, short type, int length) {
        while (m.position() % 4 != 0) {
            m.put((byte) 0);
        }
        return m.putShort((short) (4 + length)).putShort(type);
    }

    private void transact(ByteBuffer m) throws IOException {
        if (closed) {
            throw new IOException("the device is closed");
        }
        while (m.position() % 4 != 0) {
            m.put((byte) 0);
        }
        int length = m.position();
        m.putInt(0, length);
        int sent = seq;
        buffer.write(0, m.array(), 0, length);
        if (LibC.send(fd, buffer, length, 0) != length) {
            throw new IOException("cannot send to rtnetlink: " + LibC.describe(LibC.errno()));
        }
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0 || LibC.poll(pollFd, 1, (int) left) == 0) {
                throw new IOException("the kernel did not answer an rtnetlink request within " + TIMEOUT_MILLIS + " ms");
            }
            long n = LibC.recv(fd, buffer, BUFFER, MSG_DONTWAIT);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
                    continue;
                }
                throw new IOException("cannot read from rtnetlink: " + LibC.describe(errno));
            }
            byte[] bytes = buffer.getByteArray(0, (int) n);
            ByteBuffer r = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
            for (int at = 0; at + 16 <= n; ) {
                int len = r.getInt(at);
                short type = r.getShort(at + 4);
                short flags = r.getShort(at + 6);
                int rseq = r.getInt(at + 8);
                if (len < 16) {
                    break;
                }
                if (type == NLMSG_ERROR && rseq == sent) {
                    int error = -r.getInt(at + 16);
                    if (error == 0) {
                        return;
                    }
                    throw new KernelRefused(error, (flags & NLM_F_ACK_TLVS) != 0 ? extackMessage(r, at, len) : null);
                }
                at += (len + 3) & ~3;
            }
        }
    }

    /** The kernel's own text in an error answer (after nlmsgerr with the request's header only). */
    private static String extackMessage(ByteBuffer r, int at, int len) {
        for (int a = at + 16 + 4 + 16; a + 4 <= at + len; ) {
            int alen = r.getShort(a) & 0xffff;
            int atype = r.getShort(a + 2) & 0x3fff;
            if (alen < 4) {
                break;
            }
            if (atype == NLMSGERR_ATTR_MSG) {
                int end = a + 4;
                while (end < a + alen && r.get(end) != 0) {
                    end++;
                }
                return new String(r.array(), a + 4, end - a - 4, StandardCharsets.UTF_8);
            }
            a += (alen + 3) & ~3;
        }
        return null;
    }

    /** The kernel answered a request with an error. */
    static final class KernelRefused extends IOException {
        private static final long serialVersionUID = 1L;
        final int errno;

        KernelRefused(int errno, String kernelMessage) {
            super(LibC.describe(errno) + (kernelMessage == null || kernelMessage.isBlank() ? "" : ": " + kernelMessage));
            this.errno = errno;
        }
    }
}

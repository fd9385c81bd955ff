package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;

/**
 * A kernel TUN interface ({@code IFF_TUN | IFF_NO_PI}) on a file descriptor of {@code /dev/net/tun}.
 * The interface lives as long as this object is open: it is not persistent, so {@link #close()}
 * (or the end of the process) removes it.
 *
 * <p>Threads: one reader and one writer at a time, as the contract says; each has its own native
 * buffer ({@link TunReader}, {@link TunWriter}), so a read and a write copy one packet and allocate
 * nothing. A reader waits in {@code poll(2)} on the TUN descriptor and on an eventfd that
 * {@link #close()} signals, so it returns at once when the device closes. {@link #configure} and
 * {@link #apply} are serialized.
 *
 * <p>Deleted from outside ({@code ip link del}): the kernel detaches the descriptor, the next read,
 * write or {@link #checkAttached()} sees it, the device counts as closed from then on and the
 * {@code onLost} action runs once, in the thread that noticed (it must hand the work off and
 * return).
 *
 * <p>With offloads ({@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD} for checksums and TCP segmentation
 * over IPv4 and IPv6), the kernel's TCP stacks send and receive segments of up to 64 KB through the
 * device. A read takes such a segment once and then returns it as MTU-sized packets, one per call
 * ({@link TunReader}, {@link Segmenter}); checksums the kernel left to the device are completed. A
 * write holds a TCP segment back while the next ones of its flow can be merged with it, a few flows at
 * a time ({@link TunWriter}, {@link FlowTable}), and writes a flow's merged packet when one of the flow
 * does not fit, when another flow needs its slot, or at {@link #flush()}. The packets that cross the
 * device API are plain IP packets either way. The virtio header is read and written in little-endian
 * order, the host's order on x86-64 and aarch64.
 */
final class LinuxTunDevice implements TunDevice, AutoCloseable {

    /** The TUN clone device. */
    static final Path DEV_NET_TUN = Path.of("/dev/net/tun");

    /** Bytes in the kernel's {@code struct ifreq}. */
    static final int IFREQ_SIZE = 40;

    private static final Logger LOG = System.getLogger(LinuxTunDevice.class.getName());

    private static final long TUNGETIFF = 0x800454d2L;
    private static final int KERNEL_DEFAULT_MTU = 1500;
    private static final long CLOSE_WAIT_MILLIS = 5000;

    private final String name;
    private final int index;
    private final int fd;
    private final int wakeFd;
    private final RouteNetlink netlink;
    private final Runnable onLost;
    private final boolean offload;

    private final TunReader reader; // the reader's
    private final TunWriter writer; // the writer's
    private final Memory ifreq = new Memory(IFREQ_SIZE); // guarded by itself, for checkAttached

    private final AtomicInteger users = new AtomicInteger(); // threads inside a call on the descriptors
    private final AtomicBoolean lost = new AtomicBoolean();
    private final Object lifecycle = new Object();
    private volatile boolean closed;
    private boolean released; // guarded by lifecycle
    private volatile int mtu = KERNEL_DEFAULT_MTU;

    private final InterfaceSettings link; // calls serialized on itself

    /** Takes over descriptors {@link TunCreation} opened; closes them at {@link #close()}. */
    LinuxTunDevice(String name, int index, int fd, int wakeFd, RouteNetlink netlink, boolean offload,
            int flows, Runnable onLost) {
        this.name = name;
        this.reader = new TunReader(name, fd, wakeFd, offload, () -> closed, this::lost);
        this.writer = new TunWriter(name, fd, offload, flows, this::lost);
        this.offload = offload;
        this.index = index;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.netlink = netlink;
        this.link = new InterfaceSettings(name, index, netlink, KERNEL_DEFAULT_MTU);
        this.onLost = onLost;
    }

    /**
     * Creates the interface in the calling thread's network namespace, link down, MTU 1500, no
     * addresses.
     *
     * @param name 1..15 bytes; a "%d" in it lets the kernel number it (e.g. tun%d gives tun0, tun1...)
     * @param tun the clone device, normally {@link #DEV_NET_TUN}
     * @param onLost runs once if the interface is deleted from outside; must not block
     * @throws IllegalArgumentException for a name the kernel would refuse
     * @throws IOException that says what to do (permissions, missing driver, name taken)
     */
    static LinuxTunDevice create(String name, Path tun, Runnable onLost) throws IOException {
        return create(name, tun, true, onLost);
    }

    /**
     * Like {@link #create(String, Path, Runnable)}, choosing whether to use the kernel's offloads. A
     * kernel that refuses them gets a device without (and a log line that says so).
     */
    static LinuxTunDevice create(String name, Path tun, boolean offload, Runnable onLost) throws IOException {
        return create(name, tun, offload, FlowTable.FLOWS, onLost);
    }

    /**
     * Like {@link #create(String, Path, boolean, Runnable)}, holding TCP segments of up to
     * {@code flows} flows at once to merge them (1: one packet, as before the flow table).
     */
    static LinuxTunDevice create(String name, Path tun, boolean offload, int flows, Runnable onLost)
            throws IOException {
        return TunCreation.create(name, tun, offload, flows, onLost);
    }

    @Override
    public String name() {
        return name;
    }

    /** The kernel's interface index. */
    int index() {
        return index;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A negative timeout is refused with {@link IllegalArgumentException}. If the calling thread
     * is interrupted, returns -1 at once and keeps the interrupt status.
     */
    @Override
    public int read(byte[] buf, int off, int len, int timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (timeoutMillis < 0) {
            throw new IllegalArgumentException("timeout " + timeoutMillis + " ms is negative: use 0 or more");
        }
        enter();
        try {
            return reader.read(buf, off, len, timeoutMillis);
        } finally {
            users.decrementAndGet();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Dropped and counted in {@link #droppedWrites()}: an empty packet, one longer than the MTU or
     * not IPv4/IPv6, and one the kernel refuses (link down, no buffer). With offloads, packets arrive
     * in order within each flow (addresses and ports); a packet may pass TCP segments of other flows
     * held back to merge, as with the kernel's own GRO ({@link FlowTable}).
     */
    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        enter();
        try {
            writer.write(buf, off, len, mtu);
        } finally {
            users.decrementAndGet();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Writes the TCP segments held back to merge the next ones of their flows into them, the one
     * held longest first.
     */
    @Override
    public void flush() throws IOException {
        if (!offload) {
            return;
        }
        enter();
        try {
            writer.flush();
        } finally {
            users.decrementAndGet();
        }
    }

    /** Packets dropped by {@link #write}. */
    long droppedWrites() {
        return writer.dropped();
    }

    /** Reads dropped: empty, or a segmentation offload that was not asked for. */
    long droppedReads() {
        return reader.dropped();
    }

    /** Whether the device uses the kernel's checksum and segmentation offloads. */
    boolean offloads() {
        return offload;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Addresses dropped from the settings are removed first, then the MTU is set, then new
     * addresses are added and the link brought up.
     */
    @Override
    public void configure(TunSettings settings) throws IOException {
        apply(settings, true);
    }

    /**
     * Applies settings and the link state, replacing what an earlier call applied; on failure,
     * what this call changed is put back.
     *
     * @throws IOException that names the setting and gives the kernel's reason
     */
    void apply(TunSettings settings, boolean linkUp) throws IOException {
        Objects.requireNonNull(settings, "settings");
        synchronized (link) {
            if (closed) {
                throw new ClosedChannelException();
            }
            link.apply(settings, linkUp);
            mtu = settings.mtu();
        }
    }

    /** The settings last applied. */
    TunSettings settings() {
        synchronized (link) {
            return link.applied();
        }
    }

    /**
     * Asks the kernel whether the descriptor still has its interface; if not, the device counts as
     * lost ({@code onLost} runs). Called by a watchdog, so a device nobody reads still notices.
     */
    boolean checkAttached() {
        synchronized (ifreq) {
            if (!tryEnter()) {
                return !lost.get();
            }
            try {
                if (LibC.ioctl(fd, TUNGETIFF, ifreq) < 0 && LibC.errno() == LibC.EBADFD) {
                    lost();
                    return false;
                }
                return true;
            } finally {
                users.decrementAndGet();
            }
        }
    }

    /** True once the interface was deleted from outside. */
    boolean isLost() {
        return lost.get();
    }

    /** True until closed or lost. */
    boolean isOpen() {
        return !closed;
    }

    /**
     * Closes the device: readers waiting in {@link #read} return at once with
     * {@link ClosedChannelException}, then the descriptors are closed and the kernel removes the
     * interface. Waits at most 5 s for calls in progress to leave. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (released) {
                return;
            }
            closed = true;
            wake();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            while (users.get() > 0 && System.nanoTime() - deadline < 0) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (users.get() > 0) {
                // Closing now could hand the descriptor number to another file under a late call.
                LOG.log(Level.WARNING, "TUN device " + name + ": a read or write is still in progress after "
                        + CLOSE_WAIT_MILLIS + " ms; its descriptor is left open until the process exits");
                return;
            }
            released = true;
            netlink.close();
            LibC.close(fd);
            LibC.close(wakeFd);
        }
    }

    @Override
    public String toString() {
        return "Linux TUN " + name + " (index " + index + ")";
    }

    private void enter() throws ClosedChannelException {
        if (!tryEnter()) {
            throw new ClosedChannelException();
        }
    }

    private boolean tryEnter() {
        users.incrementAndGet();
        if (closed) {
            users.decrementAndGet();
            return false;
        }
        return true;
    }

    private ClosedChannelException lost() {
        closed = true;
        wake();
        if (lost.compareAndSet(false, true)) {
            onLost.run();
        }
        return new ClosedChannelException();
    }

    private void wake() {
        Memory one = new Memory(8);
        one.setLong(0, 1);
        LibC.write(wakeFd, one, 8);
    }
}

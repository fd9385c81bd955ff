package org.minivpn.tun.memory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;

/**
 * One end of an in-memory TUN device: what one end writes, the other end reads. It stands in for a
 * kernel TUN interface in tests and demos, under the same contract as the Linux backend.
 *
 * <p>{@link #pair} makes the two ends: the {@linkplain Pair#device() device} the code under test
 * uses (a relay reads the packets "the kernel routed into the tunnel" from it), and its
 * {@linkplain Pair#kernel() kernel} side, where a test plays the kernel: it writes the packets the
 * device will read, and reads the packets the device wrote. Both ends are {@link TunDevice}s and
 * share one name, MTU, link state and lifetime.
 *
 * <p>Like the kernel, each end drops (and counts in {@link #droppedWrites()}) a written packet that
 * is empty, longer than the MTU, not IPv4 or IPv6 (first nibble not 4 or 6), sent while the link is
 * down, or that does not fit in the reading end's queue. {@link #close()} on either end closes both:
 * from then on reads and writes throw {@link ClosedChannelException}, and a reader waiting in
 * {@link #read} returns at once.
 *
 * <p>Threads: per end, one reader thread and one writer thread at a time, which may be different
 * threads. Reads and writes copy the packet and allocate nothing.
 */
public final class MemoryTunDevice implements TunDevice {

    /** The default queue size of each direction, in bytes (each packet takes 4 bytes more). */
    public static final int DEFAULT_QUEUE_BYTES = 256 * 1024;

    /** The smallest queue: one packet of the largest MTU. */
    public static final int MIN_QUEUE_BYTES = 65535 + 4;

    /** The largest queue. */
    public static final int MAX_QUEUE_BYTES = 1 << 30;

    /**
     * The two ends of one in-memory device.
     *
     * @param device the end the code under test uses, as it would use a kernel TUN device
     * @param kernel the end a test uses in place of the kernel
     */
    public record Pair(MemoryTunDevice device, MemoryTunDevice kernel) {
    }

    private final Link link;
    private final PacketRing inbound;
    private final PacketRing outbound;
    private volatile long droppedWrites; // written by this end's writer thread only

    private MemoryTunDevice(Link link, PacketRing inbound, PacketRing outbound) {
        this.link = link;
        this.inbound = inbound;
        this.outbound = outbound;
    }

    /** A device with its kernel side, link up, no addresses, {@link #DEFAULT_QUEUE_BYTES} per direction. */
    public static Pair pair(String name, int mtu) {
        return pair(name, mtu, DEFAULT_QUEUE_BYTES);
    }

    /**
     * A device with its kernel side, link up and no addresses.
     *
     * @param name the interface name: 1..15 bytes of UTF-8, no '/', ':' or white space (as in Linux)
     * @param mtu 576..65535
     * @param queueBytes the queue of each direction, {@link #MIN_QUEUE_BYTES}..{@link #MAX_QUEUE_BYTES}
     * @throws IllegalArgumentException with what to change when an argument is out of range
     */
    public static Pair pair(String name, int mtu, int queueBytes) {
        checkName(name);
        TunSettings settings = new TunSettings(mtu, List.of());
        if (queueBytes < MIN_QUEUE_BYTES || queueBytes > MAX_QUEUE_BYTES) {
            throw new IllegalArgumentException("queue size " + queueBytes + " is out of range: use "
                    + MIN_QUEUE_BYTES + ".." + MAX_QUEUE_BYTES + " bytes");
        }
        Link link = new Link(name, settings);
        PacketRing toDevice = new PacketRing(queueBytes);
        PacketRing toKernel = new PacketRing(queueBytes);
        link.device = new MemoryTunDevice(link, toDevice, toKernel);
        link.kernel = new MemoryTunDevice(link, toKernel, toDevice);
        return new Pair(link.device, link.kernel);
    }

    /**
     * Checks a name against the kernel's rules for interface names.
     *
     * @throws IllegalArgumentException that says what is wrong with it
     */
    public static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > 15) {
            throw new IllegalArgumentException("interface name '" + name + "' is " + bytes
                    + " bytes long: use 1..15 bytes, e.g. tun0");
        }
        if (name.equals(".") || name.equals("..") || name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("interface name '" + name
                    + "' is not allowed: no '/', ':' or white space, and not '.' or '..'");
        }
    }

    @Override
    public String name() {
        return link.name;
    }

    @Override
    public int mtu() {
        return link.mtu;
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
        long deadline = 0;
        while (true) {
            if (link.closed) {
                throw new ClosedChannelException();
            }
            int n = inbound.poll(buf, off, len);
            if (n >= 0) {
                return n;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + timeoutMillis * 1_000_000L;
            }
            long left = deadline - now;
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return -1;
            }
            inbound.await(this, left);
        }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (link.closed) {
            throw new ClosedChannelException();
        }
        int version = len == 0 ? 0 : (buf[off] & 0xf0) >>> 4;
        if ((version != 4 && version != 6) || len > link.mtu || !link.up || !outbound.offer(buf, off, len)) {
            droppedWrites++;
        }
    }

    /** Takes the MTU and addresses and brings the link up, for both ends. Never fails for a valid argument. */
    @Override
    public void configure(TunSettings settings) throws IOException {
        Objects.requireNonNull(settings, "settings");
        synchronized (link) {
            if (link.closed) {
                throw new ClosedChannelException();
            }
            link.settings = settings;
            link.mtu = settings.mtu();
            link.up = true;
        }
    }

    /** Brings the link up or down, for both ends; packets written while it is down are dropped. */
    public void setUp(boolean up) {
        link.up = up;
    }

    /** True while the link is up. */
    public boolean isUp() {
        return link.up;
    }

    /** The settings last applied (by {@link #configure} or at creation). */
    public TunSettings settings() {
        return link.settings;
    }

    /** Packets this end was asked to write and dropped (see the class comment for why). */
    public long droppedWrites() {
        return droppedWrites;
    }

    /** The other end of this device. */
    public MemoryTunDevice peer() {
        return this == link.device ? link.kernel : link.device;
    }

    /** True until either end is closed. */
    public boolean isOpen() {
        return !link.closed;
    }

    /**
     * Closes both ends, wakes their readers and then runs the actions given to {@link #onClose} in
     * the calling thread. Idempotent.
     */
    public void close() {
        List<Runnable> actions;
        synchronized (link) {
            if (link.closed) {
                return;
            }
            link.closed = true;
            actions = List.copyOf(link.onClose);
            link.onClose.clear();
        }
        inbound.wake();
        outbound.wake();
        for (Runnable action : actions) {
            action.run();
        }
    }

    /** Runs {@code action} once when the device closes (at once if it is closed already). */
    public void onClose(Runnable action) {
        Objects.requireNonNull(action, "action");
        synchronized (link) {
            if (!link.closed) {
                link.onClose.add(action);
                return;
            }
        }
        action.run();
    }

    @Override
    public String toString() {
        return "memory TUN " + link.name + (this == link.kernel ? " (kernel side)" : "");
    }

    /** What both ends share. */
    private static final class Link {
        final String name;
        final List<Runnable> onClose = new ArrayList<>(); // guarded by this
        volatile TunSettings settings;
        volatile int mtu;
        volatile boolean up = true;
        volatile boolean closed;
        MemoryTunDevice device; // set once in pair(), before either end is published
        MemoryTunDevice kernel; // likewise

        Link(String name, TunSettings settings) {
            this.name = name;
            this.settings = settings;
            this.mtu = settings.mtu();
        }
    }
}

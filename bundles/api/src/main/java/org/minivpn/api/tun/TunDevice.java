package org.minivpn.api.tun;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A layer-3 TUN interface. One IP packet (v4 or v6) per read or write, with no extra header.
 *
 * <p>A backend registers one service per device, with the {@link #NAME} and {@link #BACKEND}
 * properties. The service goes away when the device does (component deactivated, or the interface
 * deleted from outside); after that every read and write throws
 * {@link java.nio.channels.ClosedChannelException}.
 */
@ProviderType
public interface TunDevice {

    /** Service property: the kernel interface name, e.g. "tun0". */
    String NAME = "tun.name";

    /** Service property: the backend that provides the device, e.g. "linux" or "memory". */
    String BACKEND = "tun.backend";

    /** The interface name, the same as the {@link #NAME} property. */
    String name();

    /** The MTU in bytes: the largest packet {@link #write} accepts and {@link #read} returns. */
    int mtu();

    /**
     * Reads one packet into {@code buf[off, off+len)}. Returns its length, or -1 when none came
     * within {@code timeoutMillis}. A packet longer than {@code len} is truncated to {@code len}.
     * One reader thread at a time. Allocates nothing.
     *
     * @throws java.nio.channels.ClosedChannelException once the device is closed
     */
    int read(byte[] buf, int off, int len, int timeoutMillis) throws IOException;

    /**
     * Writes one packet from {@code buf[off, off+len)}. Safe to call while another thread reads;
     * one writer thread at a time. Never blocks longer than the kernel takes to queue the packet.
     * Allocates nothing.
     *
     * @throws java.nio.channels.ClosedChannelException once the device is closed
     */
    void write(byte[] buf, int off, int len) throws IOException;

    /**
     * Writes out what {@link #write} held back. A backend may hold packets back to merge them (the
     * Linux backend merges consecutive TCP segments of a flow into one that the kernel takes at
     * once); it writes them when a packet does not fit, or here. The writer calls this whenever it
     * has no further packet at hand, before it waits for more; packets of one flow (the same
     * addresses, protocol and ports) arrive in the order written either way, while packets of other
     * flows may pass held ones, as with the kernel's GRO. Same thread rules as {@link #write}.
     * Allocates nothing. The default holds nothing back and does nothing.
     *
     * @throws java.nio.channels.ClosedChannelException once the device is closed
     */
    default void flush() throws IOException {
    }

    /**
     * Applies addresses and MTU and brings the link up, replacing what an earlier call applied.
     * Used by a VPN client to take the settings its server pushes.
     *
     * @throws IOException with the kernel's reason when a setting was refused; settings applied
     *     before the failing one are rolled back
     */
    void configure(TunSettings settings) throws IOException;
}

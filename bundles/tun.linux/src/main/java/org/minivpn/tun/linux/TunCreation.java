package org.minivpn.tun.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Creates the kernel side of a {@link LinuxTunDevice}: opens the clone device, attaches the
 * descriptor to a new interface ({@code TUNSETIFF}), asks for checksum and TCP segmentation offloads
 * ({@code TUNSETOFFLOAD}), and opens the eventfd that wakes readers at close and the netlink socket
 * that configures the link. What it opened is closed again when a later step fails.
 */
final class TunCreation {

    // Logged under the device's name, where an operator looks for the device's messages.
    private static final Logger LOG = System.getLogger(LinuxTunDevice.class.getName());

    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_TUN_EXCL = (short) 0x8000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final int TUN_F_CSUM = 0x01;
    private static final int TUN_F_TSO4 = 0x02;
    private static final int TUN_F_TSO6 = 0x04;

    private TunCreation() {
    }

    /** See {@link LinuxTunDevice#create(String, Path, boolean, int, Runnable)}. */
    static LinuxTunDevice create(String name, Path tun, boolean offload, int flows, Runnable onLost)
            throws IOException {
        LibC.check();
        CreationFaults.checkName(name);
        int fd = LibC.open(tun.toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw CreationFaults.openFailed(tun, LibC.errno());
        }
        int wakeFd = -1;
        RouteNetlink netlink = null;
        try {
            Memory ifr = new Memory(LinuxTunDevice.IFREQ_SIZE);
            ifr.clear();
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            ifr.write(0, bytes, 0, bytes.length);
            ifr.setShort(16, (short) (IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL | (offload ? IFF_VNET_HDR : 0)));
            if (LibC.ioctl(fd, TUNSETIFF, ifr) < 0) {
                throw CreationFaults.createFailed(name, LibC.errno());
            }
            String actual = ifr.getString(0, StandardCharsets.UTF_8.name());
            if (offload && LibC.ioctl(fd, TUNSETOFFLOAD, new Pointer(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
                // The header stays; every packet then comes and goes without segmentation.
                LOG.log(Level.WARNING, "the kernel refused TCP segmentation offload on " + actual + ": "
                        + LibC.describe(LibC.errno()) + "; the device works without it, one packet per read");
            }
            wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (wakeFd < 0) {
                throw new IOException("cannot create an eventfd for " + actual + ": " + LibC.describe(LibC.errno()));
            }
            int index = LibC.if_nametoindex(actual);
            if (index == 0) {
                throw new IOException("interface " + actual + " vanished right after it was created: "
                        + LibC.describe(LibC.errno()));
            }
            netlink = new RouteNetlink();
            return new LinuxTunDevice(actual, index, fd, wakeFd, netlink, offload, flows,
                    Objects.requireNonNull(onLost, "onLost"));
        } catch (IOException | RuntimeException e) {
            if (netlink != null) {
                netlink.close();
            }
            if (wakeFd >= 0) {
                LibC.close(wakeFd);
            }
            LibC.close(fd);
            throw e;
        }
    }
}

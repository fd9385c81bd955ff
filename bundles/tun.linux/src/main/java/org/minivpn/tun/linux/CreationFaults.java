package org.minivpn.tun.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/** What can go wrong creating a TUN interface, each as a message that says what to do. */
final class CreationFaults {

    private CreationFaults() {
    }

    /**
     * Checks a name against the kernel's rules; "%d" is allowed once, for the kernel to number it.
     *
     * @throws IllegalArgumentException that says what is wrong with it
     */
    static void checkName(String name) {
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
        int percent = name.indexOf('%');
        if (percent >= 0 && (!name.startsWith("%d", percent) || name.indexOf('%', percent + 1) >= 0)) {
            throw new IllegalArgumentException("interface name '" + name + "' may hold '%' only as one %d");
        }
    }

    static IOException openFailed(Path tun, int errno) {
        String what = switch (errno) {
            case LibC.ENOENT -> tun + " is missing: load the TUN driver (modprobe tun); in a container, pass the"
                    + " device in (e.g. docker run --device /dev/net/tun --cap-add NET_ADMIN)";
            case LibC.EACCES, LibC.EPERM -> "no permission to open " + tun + ": run MiniVPN as root, or give it"
                    + " CAP_NET_ADMIN and access to " + tun;
            case LibC.ENODEV, LibC.ENXIO -> "the TUN driver is not loaded: modprobe tun";
            default -> "cannot open " + tun + ": " + LibC.describe(errno);
        };
        return new IOException(what);
    }

    static IOException createFailed(String name, int errno) {
        boolean exists = !name.contains("%") && LibC.if_nametoindex(name) != 0;
        String what = switch (errno) {
            case LibC.EPERM -> "creating TUN device " + name + " needs CAP_NET_ADMIN: run MiniVPN as root, or grant"
                    + " it the capability (AmbientCapabilities=CAP_NET_ADMIN in its systemd unit)";
            case LibC.EBUSY, LibC.EEXIST -> taken(name);
            case LibC.EINVAL -> exists ? taken(name) : "the kernel refused TUN device " + name + ": " + LibC.describe(errno);
            default -> "cannot create TUN device " + name + ": " + LibC.describe(errno);
        };
        return new IOException(what);
    }

    private static String taken(String name) {
        return "the interface name " + name + " is taken by another interface in this network namespace:"
                + " pick another name, or remove that interface (ip link del " + name + ")";
    }
}

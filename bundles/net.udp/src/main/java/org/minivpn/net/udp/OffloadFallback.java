package org.minivpn.net.udp;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * When UDP segmentation offload is used, and for whom. A segmented send the kernel refuses says
 * either that this socket cannot segment at all, or only that this one destination cannot take it
 * now (no route, a rejecting firewall, a path MTU below the segment size). As wireguard-go's
 * conn/bind_std.go does since Tailscale's change, offload is given up for the socket only on the
 * errors that prove the socket cannot do it (EIO from the device, ENOPROTOOPT or EOPNOTSUPP from a
 * kernel without UDP_SEGMENT); any other error sends that destination's records one by one, and
 * offload to it is tried again after {@link #RETRY_NANOS}, while every other destination keeps it.
 * Callers serialise their calls (the batch sender's lock); the common case, nobody held back,
 * allocates nothing.
 */
final class OffloadFallback {

    static final int EIO = 5;
    static final int ENOPROTOOPT = 92;
    static final int EOPNOTSUPP = 95;
    static final long RETRY_NANOS = 30_000_000_000L;
    /** Destinations held back at once; more forget the oldest first, so the table stays small. */
    static final int MAX_HELD = 256;

    /** The key for a connected socket's one destination. */
    private static final InetSocketAddress CONNECTED = InetSocketAddress.createUnresolved("connected", 1);

    private final Map<InetSocketAddress, Long> heldUntil = new HashMap<>();
    private boolean disabled;

    /** Whether a segmented send to {@code to} (null: the connected peer) may be tried now. */
    boolean mayTry(InetSocketAddress to, long now) {
        if (disabled) {
            return false;
        }
        if (heldUntil.isEmpty()) {
            return true;
        }
        Long until = heldUntil.get(to == null ? CONNECTED : to);
        if (until == null) {
            return true;
        }
        if (now - until >= 0) {
            heldUntil.remove(to == null ? CONNECTED : to);
            return true;
        }
        return false;
    }

    /**
     * A segmented send to {@code to} failed with {@code errno}. Returns true when that turned
     * offload off for the whole socket, false when only {@code to} is held back for a while.
     */
    boolean failed(InetSocketAddress to, int errno, long now) {
        if (errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
            disabled = true;
            heldUntil.clear();
            return true;
        }
        if (heldUntil.size() >= MAX_HELD) {
            InetSocketAddress oldest = null;
            long first = 0;
            for (Map.Entry<InetSocketAddress, Long> e : heldUntil.entrySet()) {
                if (oldest == null || e.getValue() - first < 0) {
                    oldest = e.getKey();
                    first = e.getValue();
                }
            }
            heldUntil.remove(oldest);
        }
        heldUntil.put(to == null ? CONNECTED : to, now + RETRY_NANOS);
        return false;
    }

    boolean disabled() {
        return disabled;
    }
}

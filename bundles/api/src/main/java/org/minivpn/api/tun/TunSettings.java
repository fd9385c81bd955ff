package org.minivpn.api.tun;

import java.util.List;
import java.util.Objects;
import org.minivpn.api.IpPrefix;

/**
 * Link settings of a TUN device.
 *
 * @param mtu the MTU, 576..65535 (IPv6 needs at least 1280)
 * @param addresses the interface addresses with their prefix, IPv4 and/or IPv6; may be empty
 */
public record TunSettings(int mtu, List<IpPrefix> addresses) {

    public TunSettings {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " is out of range: use 576..65535");
        }
        if (mtu < 1280 && addresses.stream().anyMatch(a -> !a.isIpv4())) {
            throw new IllegalArgumentException("MTU " + mtu + " is too small for IPv6: use at least 1280");
        }
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
    }
}

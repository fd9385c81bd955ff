package org.minivpn.relay;

import java.io.IOException;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;

/** What a relay needs before it connects or serves, each missing one refused with advice. */
final class Requirements {

    private Requirements() {
    }

    static TunDevice tun(TunDevice t, String target, String configFile) throws IOException {
        if (t == null) {
            throw new IOException("no TUN device matches " + target + ": create it with"
                    + " configs/org.minivpn.tun.linux-tun0.cfg (needs root), or set tun.target in " + configFile);
        }
        return t;
    }

    static RouteConfigurator routing(RouteConfigurator r, String target, String configFile) throws IOException {
        if (r == null) {
            throw new IOException("no routing configurator matches " + target
                    + ": install org.minivpn.route.linux, or set routing.target=(route.type=none) in " + configFile);
        }
        return r;
    }

    /** @param type the type asked for, "" for the highest-ranked secure one */
    static Transport transport(Transport t, String type, TransportChoice choice, String configFile) throws IOException {
        if (t == null) {
            throw new IOException("no " + (type.isEmpty() ? "secure" : "'" + type + "'") + " transport is installed"
                    + " (available: " + choice.available() + "): add org.minivpn.transport.dtls to deploy/, or set"
                    + " transport in " + configFile);
        }
        return t;
    }
}

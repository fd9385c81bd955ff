package org.minivpn.route.linux;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.route.ServerRoutes;
import org.osgi.service.component.annotations.Component;

/**
 * The {@code none} routing configurator, for hosts whose routes and firewall are managed
 * elsewhere (by an administrator, NetworkManager, a container runtime): it changes nothing.
 */
@Component(property = RouteConfigurator.TYPE + "=none")
public final class NoneRouteConfigurator implements RouteConfigurator {

    private static final Logger LOG = System.getLogger(NoneRouteConfigurator.class.getName());

    private static final AppliedRoutes NOTHING = new AppliedRoutes() {
        @Override
        public List<String> changes() {
            return List.of();
        }

        @Override
        public void close() {
        }

        @Override
        public String toString() {
            return "no routes (route.type=none)";
        }
    };

    @Override
    public AppliedRoutes routeClient(ClientRoutes routes) {
        LOG.log(Level.INFO, "route.type=none: routes for " + routes.tunName() + " are left to the administrator"
                + (routes.killSwitch() ? "; the kill switch is NOT on, because this configurator changes nothing" : ""));
        return NOTHING;
    }

    @Override
    public AppliedRoutes routeServer(ServerRoutes routes) {
        LOG.log(Level.INFO, "route.type=none: forwarding and NAT for " + routes.tunName()
                + " are left to the administrator");
        return NOTHING;
    }
}

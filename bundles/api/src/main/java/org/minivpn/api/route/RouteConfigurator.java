package org.minivpn.api.route;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Changes the host's routes and firewall for a tunnel, and undoes every change it made. A
 * configurator never deletes or edits a route, rule or table it did not create.
 *
 * <p>Several may be registered; consumers choose one with a target filter on {@link #TYPE}.
 */
@ProviderType
public interface RouteConfigurator {

    /** Service property: e.g. "linux", or "none" for hosts whose routes are managed elsewhere. */
    String TYPE = "route.type";

    /**
     * Routes a client's traffic into its tunnel. When it throws, nothing it did is left behind.
     *
     * @throws IOException naming the step (command or call) that failed and the kernel's reason
     */
    AppliedRoutes routeClient(ClientRoutes routes) throws IOException;

    /**
     * Sets a server up to forward and NAT its clients' traffic. When it throws, nothing it did is
     * left behind.
     *
     * @throws IOException naming the step (command or call) that failed and the kernel's reason
     */
    AppliedRoutes routeServer(ServerRoutes routes) throws IOException;
}

package org.minivpn.api.route;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** What a {@link RouteConfigurator} changed; closing it undoes all of it, newest first. */
@ProviderType
public interface AppliedRoutes extends AutoCloseable {

    /** One line a change, in the order applied, for display (e.g. "route 0.0.0.0/1 dev tun0"). */
    List<String> changes();

    /**
     * Undoes every change, newest first. Idempotent. A step that fails is reported and the rest
     * are still undone.
     */
    @Override
    void close();
}

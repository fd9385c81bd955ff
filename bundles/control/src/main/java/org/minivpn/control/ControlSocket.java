package org.minivpn.control;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.felix.service.command.CommandProcessor;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * Opens the control socket that {@code bin/minivpn-ctl} talks to, as long as a Gogo command
 * processor is there.
 *
 * <p>Its path is the framework property {@value #SOCKET_PROPERTY}; without it,
 * {@code run/minivpn.sock} under the framework property {@value #HOME_PROPERTY} (the installation
 * folder), or under the working directory.
 *
 * <p>Commands are refused as "starting" until the appliance is {@linkplain ApplianceReadiness
 * ready}. ConfigAdmin and the component runtime are optional: without them there is less to wait
 * for, and the socket still opens.
 */
@Component(service = {}, immediate = true)
public final class ControlSocket {

    /** Framework property: where the control socket lives. */
    public static final String SOCKET_PROPERTY = "minivpn.control.socket";

    /** Framework property: the installation folder. */
    public static final String HOME_PROPERTY = "minivpn.home";

    private final ControlServer server;

    @Activate
    public ControlSocket(@Reference CommandProcessor processor,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            ConfigurationAdmin configAdmin,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            ServiceComponentRuntime scr,
            BundleContext context) throws IOException {
        String home = context.getProperty(HOME_PROPERTY);
        Readiness readiness = new ApplianceReadiness(context, configAdmin, scr,
                home == null || home.isBlank() ? null : Path.of(home));
        this.server = new ControlServer(processor, socketPath(context.getProperty(SOCKET_PROPERTY), home), readiness);
    }

    static Path socketPath(String socket, String home) {
        if (socket != null && !socket.isBlank()) {
            return Path.of(socket);
        }
        return Path.of(home == null || home.isBlank() ? "." : home, "run", "minivpn.sock");
    }

    @Deactivate
    void deactivate() {
        server.close();
    }
}

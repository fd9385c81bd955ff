package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Keeps {@code vpn:serve} across restarts of the appliance until {@code vpn:stop}, as
 * {@code systemctl enable --now} and {@code disable --now} do for a unit: serving sets the
 * {@code autostart} attribute of PID {@value #PID} (and {@code port}, when one was given), stopping
 * clears it. ConfigAdmin holds it, and FileInstall writes it back into
 * {@code configs/org.minivpn.relay.server.cfg} ({@code felix.fileinstall.enableConfigSave=true} in
 * {@code conf/config.properties}), because the launcher cleans the framework cache, and with it
 * ConfigAdmin's own store, at every start.
 *
 * <p>Values are written as strings, as FileInstall reads them from a {@code .cfg} file.
 */
final class ServeAutostart {

    static final String PID = "org.minivpn.relay.server";
    static final String AUTOSTART = "autostart";
    static final String PORT = "port";

    private static final Logger LOG = System.getLogger(ServeAutostart.class.getName());

    private ServeAutostart() {
    }

    /**
     * Records that the server serves ({@code serving}, on {@code port} when above 0) or was
     * stopped. Does nothing without ConfigAdmin; a failure is logged, never thrown: the server's
     * state is what the user asked for, only its survival of a restart is lost.
     */
    static void record(ConfigurationAdmin configAdmin, boolean serving, int port) {
        if (configAdmin == null) {
            return;
        }
        try {
            Configuration c = configAdmin.getConfiguration(PID, "?");
            Dictionary<String, Object> next = updated(c.getProperties(), serving, port);
            if (next != null) {
                c.updateIfDifferent(next);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, (serving ? "vpn:serve" : "vpn:stop") + " is not kept across restarts: "
                    + "ConfigAdmin could not record it (" + e.getMessage() + "); set autostart in configs/" + PID + ".cfg");
        }
    }

    /**
     * The configuration after serving or stopping, all other attributes kept; null when there is
     * nothing to change (stopping a server that was never set to start by itself).
     */
    static Dictionary<String, Object> updated(Dictionary<String, Object> current, boolean serving, int port) {
        Hashtable<String, Object> next = new Hashtable<>();
        if (current != null) {
            for (Enumeration<String> keys = current.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                next.put(k, current.get(k));
            }
        }
        if (!serving && !Boolean.parseBoolean(String.valueOf(next.get(AUTOSTART)))) {
            return null;
        }
        next.put(AUTOSTART, String.valueOf(serving));
        if (serving && port > 0) {
            next.put(PORT, String.valueOf(port));
        }
        return next;
    }
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** vpn:serve sets autostart (and the port it was given), vpn:stop clears it; nothing else changes. */
class ServeAutostartTest {

    @Test
    void servingSetsAutostartAndThePortItWasGivenKeepingTheRest() {
        Hashtable<String, Object> fromFile = new Hashtable<>();
        fromFile.put("listen", "127.0.0.1");
        fromFile.put("felix.fileinstall.filename", "file:/opt/minivpn/configs/org.minivpn.relay.server.cfg");
        Dictionary<String, Object> served = ServeAutostart.updated(fromFile, true, 5000);
        assertEquals("true", served.get("autostart"));
        assertEquals("5000", served.get("port"));
        assertEquals("127.0.0.1", served.get("listen"));
        assertEquals("file:/opt/minivpn/configs/org.minivpn.relay.server.cfg", served.get("felix.fileinstall.filename"),
                "FileInstall finds the file to write back to");
        assertEquals(2, fromFile.size(), "the current configuration is not changed in place");

        Dictionary<String, Object> configuredPort = ServeAutostart.updated(fromFile, true, 0);
        assertNull(configuredPort.get("port"), "vpn:serve without a port keeps the configured one");

        Dictionary<String, Object> stopped = ServeAutostart.updated(served, false, 0);
        assertEquals("false", stopped.get("autostart"));
        assertEquals("5000", stopped.get("port"), "the port stays for the next vpn:serve");
    }

    @Test
    void stoppingAServerThatNeverAutostartedChangesNothing() {
        assertNull(ServeAutostart.updated(null, false, 0));
        Hashtable<String, Object> off = new Hashtable<>();
        off.put("autostart", Boolean.FALSE);
        assertNull(ServeAutostart.updated(off, false, 0));
        Hashtable<String, Object> on = new Hashtable<>();
        on.put("autostart", Boolean.TRUE); // as a test or a typed .config file gives it
        assertEquals("false", ServeAutostart.updated(on, false, 0).get("autostart"));
    }

    @Test
    void recordsThroughConfigAdminAndSurvivesItsFailure() {
        List<Dictionary<String, Object>> written = new ArrayList<>();
        Configuration config = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Configuration.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> written.isEmpty() ? null : written.get(written.size() - 1);
                    case "updateIfDifferent" -> {
                        @SuppressWarnings("unchecked")
                        Dictionary<String, Object> d = (Dictionary<String, Object>) args[0];
                        written.add(d);
                        yield true;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        List<String> asked = new ArrayList<>();
        ConfigurationAdmin ca = (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConfiguration") && args.length == 2) {
                        asked.add(args[0] + " " + args[1]);
                        return config;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });

        ServeAutostart.record(ca, true, 4000);
        ServeAutostart.record(ca, false, 0);
        ServeAutostart.record(ca, false, 0);
        assertEquals(List.of("org.minivpn.relay.server ?", "org.minivpn.relay.server ?", "org.minivpn.relay.server ?"), asked);
        assertEquals(2, written.size(), "a second vpn:stop writes nothing");
        assertEquals("true", written.get(0).get("autostart"));
        assertEquals("4000", written.get(0).get("port"));
        assertEquals("false", written.get(1).get("autostart"));

        ConfigurationAdmin broken = (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class}, (proxy, method, args) -> {
                    throw new java.io.IOException("store is read-only");
                });
        ServeAutostart.record(broken, true, 0); // logged, not thrown: the server serves all the same
        ServeAutostart.record(null, true, 0);
    }
}

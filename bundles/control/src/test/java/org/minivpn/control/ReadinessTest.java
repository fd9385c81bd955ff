package org.minivpn.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.minivpn.control.Readiness.Component;
import org.minivpn.control.Readiness.Config;

/** What the appliance waits for before it runs control commands. */
class ReadinessTest {

    private static final Component TUN = new Component("org.minivpn.tun.linux.LinuxTunComponent",
            List.of("org.minivpn.tun.linux"), Set.of());
    private static final Component SERVER = new Component("org.minivpn.relay.ServerRelay",
            List.of("org.minivpn.relay.server"), Set.of());

    @Test
    void bundlesComeFirst() {
        assertEquals("the framework to start", Readiness.waitingForBundles(false, List.of()));
        assertEquals("bundles to start: org.minivpn.relay, org.minivpn.shell",
                Readiness.waitingForBundles(true, List.of("org.minivpn.relay", "org.minivpn.shell")));
        assertNull(Readiness.waitingForBundles(true, List.of()));
    }

    @Test
    void aConfigurationFileMustBeReadAndTakenByTheComponentsOfItsPid() {
        List<String> files = List.of("org.minivpn.tun.linux-tun0.cfg", "org.minivpn.relay.server.cfg");
        assertEquals("configurations: org.minivpn.tun.linux-tun0.cfg (not read yet), org.minivpn.relay.server.cfg (not read yet)",
                Readiness.waitingForConfigurations(files, Map.of(), List.of(TUN, SERVER)));

        Map<String, Config> read = Map.of(
                "org.minivpn.tun.linux-tun0.cfg", new Config("org.minivpn.tun.linux~tun0", "org.minivpn.tun.linux"),
                "org.minivpn.relay.server.cfg", new Config("org.minivpn.relay.server", null));
        assertEquals("configurations: org.minivpn.tun.linux-tun0.cfg (not yet taken by org.minivpn.tun.linux.LinuxTunComponent)",
                Readiness.waitingForConfigurations(files, read, List.of(TUN,
                        new Component(SERVER.name(), SERVER.configurationPids(), Set.of("org.minivpn.relay.server")))),
                "a factory configuration is matched by its factory PID");

        Component tunTook = new Component(TUN.name(), TUN.configurationPids(), Set.of("org.minivpn.tun.linux~tun0"));
        Component serverTook = new Component(SERVER.name(), SERVER.configurationPids(), Set.of("org.minivpn.relay.server"));
        assertNull(Readiness.waitingForConfigurations(files, read, List.of(tunTook, serverTook)));
    }

    @Test
    void aConfigurationNoComponentUsesNeedsOnlyToBeRead() {
        List<String> files = List.of("org.minivpn.transport.udp.cfg");
        assertNull(Readiness.waitingForConfigurations(files,
                Map.of("org.minivpn.transport.udp.cfg", new Config("org.minivpn.transport.udp", null)), List.of(SERVER)));
        assertNull(Readiness.waitingForConfigurations(List.of(), Map.of(), List.of(SERVER)), "no files, nothing to wait for");
    }
}

package org.minivpn.tun.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.testsupport.Needs;

/** The DS component, activated by hand inside a network namespace this class creates. */
@Timeout(60)
class LinuxTunComponentTest {

    private static NetNamespace ns;

    /** What the component registered, and whether it is still registered. */
    private static final class Registered {
        final String type;
        final Object service;
        final Dictionary<String, Object> properties;
        volatile boolean live = true;

        Registered(String type, Object service, Dictionary<String, Object> properties) {
            this.type = type;
            this.service = service;
            this.properties = properties;
        }
    }

    private final List<Registered> registered = new CopyOnWriteArrayList<>();
    private final LinuxTunComponent.Registry registry = (type, service, properties) -> {
        Registered r = new Registered(type, service, properties);
        registered.add(r);
        return () -> r.live = false;
    };

    @BeforeAll
    static void namespace() throws IOException {
        Needs.root("ip", "/dev/net/tun");
        ns = NetNamespace.create();
    }

    @AfterAll
    static void removeNamespace() throws IOException {
        if (ns != null) {
            ns.close();
        }
    }

    private LinuxTunComponent activate(Map<String, Object> config) throws Exception {
        return ns.inside(() -> new LinuxTunComponent(registry, Configs.of(LinuxTunConfig.class, config), config,
                LinuxTunDevice.DEV_NET_TUN));
    }

    @Test
    void createsTheInterfaceFromConfigurationRegistersItAndRemovesItOnDeactivation() throws Exception {
        LinuxTunComponent c = activate(Map.of("name", "mvc0", "mtu", 1380,
                "addresses", new String[] {"10.210.4.1/24", "fd00:210:4::1/64"}, "role", "client",
                "service.pid", "org.minivpn.tun.linux~x", ".hidden", "x"));
        try {
            assertEquals(1, registered.size());
            Registered r = registered.get(0);
            assertEquals(TunDevice.class.getName(), r.type);
            assertSame(c.device(), r.service);
            assertEquals("mvc0", r.properties.get(TunDevice.NAME));
            assertEquals("linux", r.properties.get(TunDevice.BACKEND));
            assertEquals("client", r.properties.get("role"));
            assertNull(r.properties.get(".hidden"));
            assertNull(r.properties.get("service.pid"));
            String link = ns.run("ip", "-o", "link", "show", "dev", "mvc0");
            assertTrue(link.contains("mtu 1380") && link.contains(",UP"), link);
            String addr = ns.run("ip", "-o", "addr", "show", "dev", "mvc0");
            assertTrue(addr.contains("10.210.4.1/24") && addr.contains("fd00:210:4::1/64"), addr);
        } finally {
            c.deactivate();
        }
        assertFalse(registered.get(0).live);
        assertFalse(ns.hasLink("mvc0"), "the interface is removed");
    }

    @Test
    void linkStaysDownWhenConfiguredSoAndAddressesMayComeInOneLine() throws Exception {
        // A .cfg file gives one string; DS hands it over as a one-element array.
        LinuxTunComponent c = activate(Map.of("name", "mvc1", "up", false,
                "addresses", new String[] {"10.210.7.1/24, fd00:210:7::1/64"}));
        try {
            String link = ns.run("ip", "-o", "link", "show", "dev", "mvc1");
            assertFalse(link.contains(",UP"), link);
            String addr = ns.run("ip", "-o", "addr", "show", "dev", "mvc1");
            assertTrue(addr.contains("10.210.7.1/24") && addr.contains("fd00:210:7::1/64"), addr);
        } finally {
            c.deactivate();
        }
    }

    @Test
    void anInterfaceDeletedFromOutsideTakesItsServiceAwayEvenWithoutAReader() throws Exception {
        LinuxTunComponent c = activate(Map.of("name", "mvc2", "addresses", new String[] {"10.210.5.1/24"}));
        try {
            ns.run("ip", "link", "del", "dev", "mvc2");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (registered.get(0).live && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(registered.get(0).live, "the service is withdrawn within 5 s");
            assertFalse(c.device().isOpen());
        } finally {
            c.deactivate();
        }
    }

    @Test
    void badConfigurationIsRefusedWithAMessageThatSaysWhatToFix() throws Exception {
        String file = "file:/opt/minivpn/configs/org.minivpn.tun.linux-client.cfg";
        IOException e = assertThrows(IOException.class, () -> activate(Map.of("name", "mvc3",
                "addresses", new String[] {"10.210.6.1/33"}, "felix.fileinstall.filename", file)));
        assertTrue(e.getMessage().contains("prefix length 33") && e.getMessage().contains(file), e.getMessage());

        e = assertThrows(IOException.class, () -> activate(Map.of("name", "mvc3", "mtu", 9)));
        assertTrue(e.getMessage().contains("MTU 9 is out of range"), e.getMessage());

        e = assertThrows(IOException.class, () -> activate(Map.of("name", "mvc3", "addresses", new String[] {"vpn.example"})));
        assertTrue(e.getMessage().contains("not a numeric"), e.getMessage());

        e = assertThrows(IOException.class, () -> activate(Map.of("name", "mvtun-name-too-long")));
        assertTrue(e.getMessage().contains("1..15 bytes"), e.getMessage());

        e = assertThrows(IOException.class, () -> activate(Map.of("name", "mvc3", "addresses", new String[] {"ff02::9/64"})));
        assertTrue(e.getMessage().contains("not created") && e.getMessage().contains("multicast"), e.getMessage());
        assertFalse(ns.hasLink("mvc3"), "nothing is left behind");
        assertTrue(registered.isEmpty());
    }
}

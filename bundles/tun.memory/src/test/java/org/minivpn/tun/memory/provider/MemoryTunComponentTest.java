package org.minivpn.tun.memory.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.tun.memory.MemoryTunDevice;

class MemoryTunComponentTest {

    /** What the component registered, and whether it is still registered. */
    private static final class Registered {
        final String type;
        final Object service;
        final Dictionary<String, Object> properties;
        boolean live = true;

        Registered(String type, Object service, Dictionary<String, Object> properties) {
            this.type = type;
            this.service = service;
            this.properties = properties;
        }
    }

    private final List<Registered> registered = new ArrayList<>();
    private final MemoryTunComponent.Registry registry = (type, service, properties) -> {
        Registered r = new Registered(type, service, properties);
        registered.add(r);
        return () -> r.live = false;
    };

    private MemoryTunComponent activate(Map<String, Object> config) {
        return new MemoryTunComponent(registry, Configs.of(MemoryTunConfig.class, config), config);
    }

    @Test
    void registersTheDeviceAndItsKernelSideWithTheirProperties() throws Exception {
        MemoryTunComponent c = activate(Map.of("name", "mvtun0", "mtu", 1300,
                "addresses", new String[] {"10.210.0.1/24", "fd00:210::1/64"}, "service.ranking", 5,
                "role", "client", "service.pid", "org.minivpn.tun.memory~x", ".secret", "hidden"));
        assertEquals(2, registered.size());
        Registered device = registered.get(0);
        Registered kernel = registered.get(1);
        assertEquals(TunDevice.class.getName(), device.type);
        assertEquals(MemoryTunDevice.class.getName(), kernel.type);
        assertEquals("mvtun0", device.properties.get(TunDevice.NAME));
        assertEquals("memory", device.properties.get(TunDevice.BACKEND));
        assertEquals(5, device.properties.get("service.ranking"));
        assertEquals("client", device.properties.get("role"));
        assertNull(device.properties.get(".secret"));
        assertNull(device.properties.get("service.pid"));
        assertNull(device.properties.get(MemoryTunComponent.SIDE));
        assertEquals("kernel", kernel.properties.get(MemoryTunComponent.SIDE));
        assertEquals("mvtun0", kernel.properties.get(TunDevice.NAME));

        MemoryTunDevice d = (MemoryTunDevice) device.service;
        assertEquals(1300, d.mtu());
        assertEquals(List.of(IpPrefix.parse("10.210.0.1/24"), IpPrefix.parse("fd00:210::1/64")), d.settings().addresses());
        assertEquals(kernel.service, d.peer());

        c.deactivate();
        assertFalse(device.live);
        assertFalse(kernel.live);
        assertFalse(d.isOpen());
    }

    @Test
    void aDeviceClosedFromOutsideIsWithdrawn() {
        MemoryTunComponent c = activate(Map.of("name", "mvtun1"));
        ((MemoryTunDevice) registered.get(1).service).close();
        assertFalse(registered.get(0).live);
        assertFalse(registered.get(1).live);
        c.deactivate();
    }

    @Test
    void linkDownByConfigurationAndAddressesInOneLine() {
        MemoryTunComponent c = activate(Map.of("name", "mvtun2", "up", false,
                "addresses", new String[] {"10.210.0.1/24,fd00:210::1/64  10.210.9.1/32"}));
        assertFalse(c.device().isUp());
        assertEquals(List.of(IpPrefix.parse("10.210.0.1/24"), IpPrefix.parse("fd00:210::1/64"), IpPrefix.parse("10.210.9.1/32")),
                c.device().settings().addresses());
        c.deactivate();
    }

    @Test
    void badConfigurationIsRefusedWithAMessageThatNamesTheFile() {
        Map<String, Object> bad = Map.of("name", "mvtun3", "addresses", new String[] {"10.210.0.300/24"},
                "felix.fileinstall.filename", "file:/opt/minivpn/configs/org.minivpn.tun.memory-a.cfg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> activate(bad));
        assertTrue(e.getMessage().contains("10.210.0.300") && e.getMessage().contains("org.minivpn.tun.memory-a.cfg"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> activate(Map.of("name", "mvtun3", "mtu", 1000,
                "addresses", new String[] {"fd00::1/64"})));
        assertTrue(e.getMessage().contains("too small for IPv6"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> activate(Map.of("name", "a-name-far-too-long")));
        assertTrue(e.getMessage().contains("1..15 bytes"), e.getMessage());
        assertTrue(registered.isEmpty());
    }
}

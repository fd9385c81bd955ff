package org.minivpn.tun.memory.provider;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;
import org.minivpn.tun.memory.MemoryTunDevice;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Makes one in-memory TUN device per factory configuration {@value #PID}: the device is registered
 * as a {@link TunDevice} service with {@code tun.name} and {@code tun.backend=memory}; its kernel
 * side as a {@link MemoryTunDevice} service with the same properties and {@code tun.side=kernel}, for
 * tests and demos to play the kernel. Other configuration properties (not starting with '.', e.g.
 * {@code service.ranking} or a label of your own for target filters) are copied to both.
 *
 * <p>If either end is closed from outside, both services are withdrawn at once; the configuration
 * stays, and updating it makes a new device.
 */
@Component(configurationPid = MemoryTunComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = MemoryTunConfig.class, factory = true)
public final class MemoryTunComponent {

    static final String PID = "org.minivpn.tun.memory";

    /** Service property of the kernel side's registration. */
    static final String SIDE = "tun.side";

    private static final Logger LOG = System.getLogger(MemoryTunComponent.class.getName());
    private static final Set<String> OWN_KEYS = Set.of("name", "mtu", "addresses", "up", "queue.bytes",
            "service.pid", "service.factoryPid", "service.bundleLocation", "component.name", "component.id",
            "felix.fileinstall.filename", TunDevice.NAME, TunDevice.BACKEND, SIDE);

    /** Registers a service; the returned action withdraws it and may be called more than once. */
    interface Registry {
        Runnable register(String type, Object service, Dictionary<String, Object> properties);
    }

    private final MemoryTunDevice.Pair pair;
    private final List<Runnable> registrations = new ArrayList<>(); // guarded by itself

    @Activate
    public MemoryTunComponent(BundleContext context, MemoryTunConfig config, Map<String, Object> properties) {
        this(osgi(context), config, properties);
    }

    MemoryTunComponent(Registry registry, MemoryTunConfig config, Map<String, Object> properties) {
        String source = source(properties);
        TunSettings settings;
        try {
            settings = new TunSettings(config.mtu(), IpPrefix.parseAll(config.addresses()));
            pair = MemoryTunDevice.pair(config.name(), config.mtu(), config.queue_bytes());
            pair.device().configure(settings);
        } catch (IllegalArgumentException | java.io.IOException e) {
            String message = "memory TUN device not created: " + e.getMessage() + " (fix " + source + ")";
            LOG.log(Level.ERROR, message);
            throw new IllegalArgumentException(message, e);
        }
        pair.device().setUp(config.up());
        Hashtable<String, Object> props = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith(".") && !OWN_KEYS.contains(k)) {
                props.put(k, v);
            }
        });
        props.put(TunDevice.NAME, config.name());
        props.put(TunDevice.BACKEND, "memory");
        Hashtable<String, Object> kernelProps = new Hashtable<>(props);
        kernelProps.put(SIDE, "kernel");
        synchronized (registrations) {
            registrations.add(registry.register(TunDevice.class.getName(), pair.device(), props));
            registrations.add(registry.register(MemoryTunDevice.class.getName(), pair.kernel(), kernelProps));
        }
        pair.device().onClose(this::withdraw);
        LOG.log(Level.INFO, "memory TUN device " + config.name() + " is ready, MTU " + config.mtu()
                + ", addresses " + settings.addresses() + (config.up() ? "" : ", link down"));
    }

    /** The device end, as registered. */
    MemoryTunDevice device() {
        return pair.device();
    }

    @Deactivate
    void deactivate() {
        withdraw();
        pair.device().close();
    }

    private void withdraw() {
        List<Runnable> gone;
        synchronized (registrations) {
            gone = List.copyOf(registrations);
            registrations.clear();
        }
        if (!gone.isEmpty() && pair.device().isOpen()) {
            LOG.log(Level.DEBUG, "withdrawing memory TUN device " + pair.device().name());
        } else if (!gone.isEmpty()) {
            LOG.log(Level.WARNING, "memory TUN device " + pair.device().name()
                    + " was closed from outside: its services are withdrawn; update its configuration to make a new one");
        }
        gone.forEach(Runnable::run);
    }

    static String source(Map<String, Object> properties) {
        Object file = properties.get("felix.fileinstall.filename");
        return file != null ? file.toString() : "configuration " + properties.getOrDefault("service.pid", PID);
    }

    private static Registry osgi(BundleContext context) {
        return (type, service, properties) -> {
            ServiceRegistration<?> registration = context.registerService(type, service, properties);
            return () -> {
                try {
                    registration.unregister();
                } catch (IllegalStateException alreadyGone) {
                    // unregistered already, e.g. while the bundle stops
                }
            };
        };
    }
}

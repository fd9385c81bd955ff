package org.minivpn.tun.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.api.tun.TunSettings;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Creates one kernel TUN interface per factory configuration {@value #PID} and registers it as a
 * {@link TunDevice} service with {@code tun.name} (the kernel's name for it) and
 * {@code tun.backend=linux}. Other configuration properties (not starting with '.', e.g.
 * {@code service.ranking} or a label of your own for target filters) are copied to the service.
 *
 * <p>The interface is created in the network namespace of the thread that activates the component
 * (the framework's). A configuration change makes a new interface; deactivation withdraws the
 * service and then removes the interface. If the interface is deleted from outside, the service is
 * withdrawn at once (within a second when nobody reads it) and the component waits for its
 * configuration to change. Thread {@code tun-<name>-watch} does that checking and withdrawing.
 */
@Component(configurationPid = LinuxTunComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = LinuxTunConfig.class, factory = true)
public final class LinuxTunComponent {

    static final String PID = "org.minivpn.tun.linux";

    private static final Logger LOG = System.getLogger(LinuxTunComponent.class.getName());
    private static final long WATCH_MILLIS = 1000;
    private static final Set<String> OWN_KEYS = Set.of("name", "mtu", "addresses", "up", "offload",
            "service.pid", "service.factoryPid", "service.bundleLocation", "component.name", "component.id",
            "felix.fileinstall.filename", TunDevice.NAME, TunDevice.BACKEND);

    /** Registers a service; the returned action withdraws it and may be called more than once. */
    interface Registry {
        Runnable register(String type, Object service, Dictionary<String, Object> properties);
    }

    private final ScheduledExecutorService watch;
    private final LinuxTunDevice device;
    private final List<Runnable> registrations = new ArrayList<>(); // guarded by itself

    @Activate
    public LinuxTunComponent(BundleContext context, LinuxTunConfig config, Map<String, Object> properties) throws IOException {
        this(osgi(context), config, properties, LinuxTunDevice.DEV_NET_TUN);
    }

    LinuxTunComponent(Registry registry, LinuxTunConfig config, Map<String, Object> properties, Path tun) throws IOException {
        String source = source(properties);
        TunSettings settings;
        try {
            CreationFaults.checkName(config.name());
            settings = new TunSettings(config.mtu(), IpPrefix.parseAll(config.addresses()));
        } catch (IllegalArgumentException e) {
            throw refused(e.getMessage() + " (fix " + source + ")", e);
        }
        watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tun-" + config.name().replace("%d", "") + "-watch");
            t.setDaemon(true);
            return t;
        });
        try {
            device = LinuxTunDevice.create(config.name(), tun, config.offload(), this::lostSoon);
        } catch (IOException | RuntimeException e) {
            watch.shutdownNow();
            throw refused("TUN device " + config.name() + " not created: " + e.getMessage(), e);
        }
        try {
            device.apply(settings, config.up());
        } catch (IOException e) {
            device.close();
            watch.shutdownNow();
            throw refused("TUN device " + device.name() + " not created: " + e.getMessage() + " (fix " + source + ")", e);
        }
        Hashtable<String, Object> props = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith(".") && !OWN_KEYS.contains(k)) {
                props.put(k, v);
            }
        });
        props.put(TunDevice.NAME, device.name());
        props.put(TunDevice.BACKEND, "linux");
        synchronized (registrations) {
            registrations.add(registry.register(TunDevice.class.getName(), device, props));
        }
        watch.scheduleWithFixedDelay(device::checkAttached, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "TUN device " + device.name() + " is ready: MTU " + settings.mtu() + ", addresses "
                + settings.addresses() + (config.up() ? ", link up" : ", link down")
                + (config.offload() ? ", TCP segmentation offload, writes merging segments of up to " + FlowTable.FLOWS
                        + " TCP flows" : ""));
    }

    /** The device, as registered. */
    LinuxTunDevice device() {
        return device;
    }

    @Deactivate
    void deactivate() {
        watch.shutdownNow();
        withdraw();
        device.close();
        try {
            if (!watch.awaitTermination(2, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "thread tun-" + device.name() + "-watch did not stop within 2 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.INFO, "TUN device " + device.name() + " removed");
    }

    /** Called by the device in whatever thread noticed the loss: hands the work to the watch thread. */
    private void lostSoon() {
        try {
            watch.execute(this::lost);
        } catch (RejectedExecutionException deactivating) {
            // deactivate() withdraws and closes
        }
    }

    private void lost() {
        LOG.log(Level.WARNING, "TUN device " + device.name() + " was deleted from outside MiniVPN: its service is"
                + " withdrawn; update or re-save its configuration (" + PID + ") to create it again");
        withdraw();
        device.close();
    }

    private void withdraw() {
        List<Runnable> gone;
        synchronized (registrations) {
            gone = List.copyOf(registrations);
            registrations.clear();
        }
        gone.forEach(Runnable::run);
    }

    private static IOException refused(String message, Exception cause) {
        LOG.log(Level.ERROR, message);
        return new IOException(message, cause);
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

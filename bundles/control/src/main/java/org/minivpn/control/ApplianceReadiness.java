package org.minivpn.control;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * {@link Readiness} read from the running framework: bundle states, FileInstall's configuration
 * folders, ConfigAdmin's configurations and SCR's component configurations.
 *
 * <p>Once ready it stays ready: editing a file or dropping a bundle into {@code deploy/} later
 * never locks the operator out. A configuration file that is never taken (a syntax error, say)
 * holds readiness back for at most {@link #SETTLE_BOUND}; after it the appliance is ready anyway,
 * and says which file was left out. Bundles get no such bound: the launcher stops an appliance
 * whose bundles do not all start.
 */
final class ApplianceReadiness implements Readiness {

    /** How long configuration files may take to be read and taken after the control socket opens. */
    static final Duration SETTLE_BOUND = Duration.ofSeconds(30);

    private static final Logger LOG = System.getLogger(ApplianceReadiness.class.getName());
    private static final String FILENAME = "felix.fileinstall.filename";

    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final ServiceComponentRuntime scr;
    private final Path bundleDir;
    private final long settleDeadline = System.nanoTime() + SETTLE_BOUND.toNanos();
    private boolean ready; // guarded by this

    /**
     * @param configAdmin null when there is none: configuration files are then not waited for
     * @param scr null when there is none: configurations only need to be read
     * @param home the installation folder, whose {@code bundle/} holds the launcher's bundles; null
     *        to wait for every started bundle
     */
    ApplianceReadiness(BundleContext context, ConfigurationAdmin configAdmin, ServiceComponentRuntime scr, Path home) {
        this.context = context;
        this.configAdmin = configAdmin;
        this.scr = scr;
        this.bundleDir = home == null ? null : home.resolve("bundle").toAbsolutePath().normalize();
    }

    @Override
    public synchronized String waitingFor() {
        if (ready) {
            return null;
        }
        String waiting = Readiness.waitingForBundles(context.getBundle(0).getState() == Bundle.ACTIVE, inactiveBundles());
        if (waiting != null) {
            return waiting;
        }
        waiting = configurationsPending();
        if (waiting != null && System.nanoTime() - settleDeadline < 0) {
            return waiting;
        }
        if (waiting != null) {
            LOG.log(Level.WARNING, "ready without waiting longer for " + waiting + " (after " + SETTLE_BOUND.toSeconds()
                    + " s): check those files in configs/ for a syntax error");
        }
        ready = true;
        return null;
    }

    /** Bundles of the installation that were started (persistently) and are not active. */
    private List<String> inactiveBundles() {
        List<String> inactive = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || b.getHeaders("").get(Constants.FRAGMENT_HOST) != null || !ofInstallation(b)) {
                continue;
            }
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            if (level != null && level.isPersistentlyStarted() && b.getState() != Bundle.ACTIVE) {
                inactive.add(b.getSymbolicName());
            }
        }
        return inactive;
    }

    private boolean ofInstallation(Bundle b) {
        if (bundleDir == null) {
            return true;
        }
        Path p = pathOf(b.getLocation().startsWith("reference:") ? b.getLocation().substring("reference:".length()) : b.getLocation());
        return p != null && bundleDir.equals(p.getParent());
    }

    private String configurationsPending() {
        if (configAdmin == null) {
            return null;
        }
        List<String> files = new ArrayList<>();
        Map<String, Readiness.Config> read = new HashMap<>();
        Set<Path> wanted = new HashSet<>();
        for (Path f : configFiles()) {
            files.add(f.getFileName().toString());
            wanted.add(f);
        }
        if (files.isEmpty()) {
            return null;
        }
        try {
            Configuration[] all = configAdmin.listConfigurations("(" + FILENAME + "=*)");
            for (Configuration c : all == null ? new Configuration[0] : all) {
                Object name = c.getProperties() == null ? null : c.getProperties().get(FILENAME);
                Path p = name == null ? null : pathOf(name.toString());
                if (p != null && wanted.contains(p)) {
                    read.put(p.getFileName().toString(), new Readiness.Config(c.getPid(), c.getFactoryPid()));
                }
            }
        } catch (IOException | InvalidSyntaxException e) {
            return "ConfigAdmin (" + e.getMessage() + ")";
        }
        return Readiness.waitingForConfigurations(files, read, components());
    }

    /** The .cfg and .config files in FileInstall's folders that its filter lets through. */
    private List<Path> configFiles() {
        String dirs = context.getProperty("felix.fileinstall.dir");
        String filter = context.getProperty("felix.fileinstall.filter");
        Pattern pattern = filter == null || filter.isBlank() ? null : Pattern.compile(filter);
        List<Path> files = new ArrayList<>();
        for (String dir : dirs == null ? new String[0] : dirs.split(",")) {
            Path d = Path.of(dir.strip()).toAbsolutePath().normalize();
            if (dir.isBlank() || !Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> {
                    String n = p.getFileName().toString();
                    return (n.endsWith(".cfg") || n.endsWith(".config")) && (pattern == null || pattern.matcher(n).matches())
                            && Files.isRegularFile(p);
                }).forEach(files::add);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "cannot list " + d + ": " + e.getMessage());
            }
        }
        return files;
    }

    private List<Readiness.Component> components() {
        if (scr == null) {
            return List.of();
        }
        List<Readiness.Component> components = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if ("ignore".equals(d.configurationPolicy) || d.configurationPid == null) {
                continue;
            }
            Set<String> taken = new HashSet<>();
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                Object pid = c.properties == null ? null : c.properties.get(Constants.SERVICE_PID);
                if (pid instanceof String s) {
                    taken.add(s);
                } else if (pid instanceof String[] a) {
                    taken.addAll(List.of(a));
                } else if (pid instanceof Iterable<?> it) {
                    it.forEach(o -> taken.add(String.valueOf(o)));
                }
            }
            components.add(new Readiness.Component(d.name, List.of(d.configurationPid), taken));
        }
        return components;
    }

    /** The absolute path a file: URI or a plain path names, or null when it names none. */
    private static Path pathOf(String location) {
        try {
            Path p = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
            return p.toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return null;
        }
    }
}

package org.minivpn.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the appliance is ready for control commands, and if not, what it still waits for.
 *
 * <p>Ready means settled, not working: every bundle the launcher started is active, and every
 * configuration file in {@code configs/} has been read by FileInstall and taken by each component
 * that uses its PID (whether that component then activated, failed or waits for a reference). A
 * command that needs a component from configuration, such as {@code vpn:connect} needing the
 * {@code tun0} device of {@code configs/org.minivpn.tun.linux-tun0.cfg}, finds it once ready; before,
 * FileInstall, ConfigAdmin and SCR hand configurations on asynchronously, after the bundles are
 * active. The check follows systemd's readiness notion (sd_notify READY=1: "service startup is
 * finished"), which the appliance offers through {@code minivpn-ctl --wait-ready}.
 */
@FunctionalInterface
interface Readiness {

    /** Always ready: for a control socket outside an appliance (tests, tools). */
    Readiness ALWAYS = () -> null;

    /** Null when ready, otherwise what the appliance still waits for, in a few words. */
    String waitingFor();

    /**
     * What the framework still waits for before its bundles are up, or null when they are.
     *
     * @param frameworkActive the system bundle is active: the launcher's start level is reached
     * @param inactiveBundles symbolic names of bundles that were started but are not active yet
     */
    static String waitingForBundles(boolean frameworkActive, List<String> inactiveBundles) {
        if (!frameworkActive) {
            return "the framework to start";
        }
        return inactiveBundles.isEmpty() ? null : "bundles to start: " + String.join(", ", inactiveBundles);
    }

    /**
     * Which configuration files are not yet read or not yet taken by their components, or null.
     *
     * @param configFiles names of the configuration files FileInstall is to read
     * @param readConfigs the configurations FileInstall made, by the name of their file
     * @param components the components of the framework, with the PIDs each has taken
     */
    static String waitingForConfigurations(List<String> configFiles, Map<String, Config> readConfigs,
            List<Component> components) {
        List<String> pending = new ArrayList<>();
        for (String file : configFiles) {
            Config c = readConfigs.get(file);
            if (c == null) {
                pending.add(file + " (not read yet)");
                continue;
            }
            for (Component component : components) {
                if (component.uses(c) && !component.configuredPids().contains(c.pid())) {
                    pending.add(file + " (not yet taken by " + component.name() + ")");
                }
            }
        }
        return pending.isEmpty() ? null : "configurations: " + String.join(", ", pending);
    }

    /** A configuration as ConfigAdmin holds it: its PID, and its factory PID or null. */
    record Config(String pid, String factoryPid) {
    }

    /**
     * A component: its name, the PIDs it is configured by (empty when it ignores configuration),
     * and the PIDs of the configurations its live component configurations carry.
     */
    record Component(String name, List<String> configurationPids, Set<String> configuredPids) {

        boolean uses(Config c) {
            return configurationPids.contains(c.pid()) || c.factoryPid() != null && configurationPids.contains(c.factoryPid());
        }
    }
}

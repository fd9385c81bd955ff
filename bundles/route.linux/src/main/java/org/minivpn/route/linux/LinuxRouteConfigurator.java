package org.minivpn.route.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.route.ServerRoutes;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code linux} routing configurator: routes and nftables rules through the {@code ip},
 * {@code nft} and {@code sysctl} commands, and a client's pushed resolvers ({@link DnsPlan}),
 * every change journaled before it is applied.
 *
 * <p>Immediate, so that at appliance start a journal left by a crash is replayed (undone, newest
 * first) before any client can connect. Without a journal, activation changes nothing at all:
 * only {@link #routeClient} and {@link #routeServer} touch the system. Deactivation (and so
 * framework stop) undoes every change still applied.
 *
 * <p>For consumers: keep the {@link AppliedRoutes} of a client open while it reconnects (with the
 * same TUN device), and close it only on an explicit disconnect; that is what keeps the kill switch
 * up in between. If the TUN device goes away, the kernel drops the routes through it, the kill
 * switch stays, and a later {@code close()} still succeeds. Choose this configurator or {@code none}
 * with a target filter on {@code route.type} that configuration can change at runtime, e.g. a
 * dynamic greedy reference whose {@code <name>.target} property is {@code (route.type=linux)}.
 */
@Component(service = RouteConfigurator.class, immediate = true, configurationPid = LinuxRouteConfigurator.PID,
        property = RouteConfigurator.TYPE + "=linux")
@Designate(ocd = RouteConfig.class)
public final class LinuxRouteConfigurator implements RouteConfigurator {

    /** The configuration PID. */
    public static final String PID = "org.minivpn.route.linux";

    /** Framework property: the installation folder, whose run/ holds the default journal. */
    static final String HOME_PROPERTY = "minivpn.home";

    private static final Logger LOG = System.getLogger(LinuxRouteConfigurator.class.getName());

    private final Object lock = new Object();
    private final Commands commands;
    private final PolicyRouting policy;
    private final DnsPlan.Settings dns;
    private final RouteJournal journal; // guarded by lock
    private final List<JournaledRoutes> live = new ArrayList<>(); // guarded by lock, oldest first
    private long nextId = 1; // guarded by lock
    private boolean closed; // guarded by lock

    @Activate
    public LinuxRouteConfigurator(BundleContext context, RouteConfig config) {
        this(journalPath(config.journal(), context.getProperty(HOME_PROPERTY)), config.netns(),
                Duration.ofSeconds(Math.max(1, config.commandTimeoutSeconds())),
                PolicyRouting.of(config.fwmark(), config.table()), config.dns_method(), config.resolv_conf());
    }

    /**
     * Replays the journal if one was left behind, and does nothing else.
     *
     * @param netns the network namespace to act in, or empty for the JVM's own
     */
    LinuxRouteConfigurator(Path journal, String netns, Duration commandTimeout) {
        this(journal, netns, commandTimeout, PolicyRouting.DEFAULT);
    }

    /** The same, with the given policy routing of full tunnels. */
    LinuxRouteConfigurator(Path journal, String netns, Duration commandTimeout, PolicyRouting policy) {
        this(journal, netns, commandTimeout, policy, "auto", "");
    }

    /** The same, applying pushed resolvers by {@code dnsMethod} (auto, resolvectl, file) to {@code resolvConf}. */
    LinuxRouteConfigurator(Path journal, String netns, Duration commandTimeout, PolicyRouting policy, String dnsMethod,
            String resolvConf) {
        this.policy = policy;
        this.dns = DnsPlan.Settings.of(dnsMethod, resolvConf, journal);
        this.commands = new Commands(netns, commandTimeout);
        this.journal = new RouteJournal(journal);
        // Journaled command lines carry their namespace prefix already: replay runs them as written.
        try (Commands asWritten = new Commands("", commandTimeout)) {
            synchronized (lock) {
                RouteJournal.replay(journal, asWritten);
            }
        }
    }

    static Path journalPath(String configured, String home) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(home == null || home.isBlank() ? "." : home, "run", "routes.journal");
    }

    @Override
    public AppliedRoutes routeClient(ClientRoutes routes) throws IOException {
        synchronized (lock) {
            ensureOpen();
            return apply(ClientPlan.of(routes, policy, dns, commands), "client routes for " + routes.tunName());
        }
    }

    @Override
    public AppliedRoutes routeServer(ServerRoutes routes) throws IOException {
        synchronized (lock) {
            ensureOpen();
            return apply(ServerPlan.of(routes, commands), "server NAT for " + routes.tunName());
        }
    }

    private AppliedRoutes apply(List<Change> changes, String what) throws IOException {
        JournaledRoutes set = new JournaledRoutes(lock, nextId++, journal, commands, live::remove);
        live.add(set);
        set.applyAll(changes);
        LOG.log(Level.INFO, what + (commands.netns().isEmpty() ? "" : " in network namespace " + commands.netns())
                + ": " + set.changes());
        return set;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Linux routing configurator is stopped; get the current one from"
                    + " the service registry");
        }
    }

    /** Undoes every change still applied, newest first. */
    @Deactivate
    void deactivate() {
        synchronized (lock) {
            closed = true;
            for (int i = live.size() - 1; i >= 0; i--) {
                live.get(i).close();
            }
            journal.close();
        }
        commands.close();
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.minivpn.api.route.AppliedRoutes;

/**
 * The changes one {@code routeClient} or {@code routeServer} call made, each journaled before it
 * was applied. Every method runs under the configurator's lock, so changes of different calls
 * never interleave in the journal or on the host.
 */
final class JournaledRoutes implements AppliedRoutes {

    private static final Logger LOG = System.getLogger(JournaledRoutes.class.getName());

    private final Object lock;
    private final long id;
    private final RouteJournal journal;
    private final Commands commands;
    private final Consumer<JournaledRoutes> onClose;
    private final List<Applied> applied = new ArrayList<>(); // guarded by lock, oldest first
    private int steps; // guarded by lock
    private boolean closed; // guarded by lock

    private record Applied(String key, Change change) {
    }

    JournaledRoutes(Object lock, long id, RouteJournal journal, Commands commands, Consumer<JournaledRoutes> onClose) {
        this.lock = lock;
        this.id = id;
        this.journal = journal;
        this.commands = commands;
        this.onClose = onClose;
    }

    /**
     * Applies every change in order. When one fails, the ones this call applied are undone and the
     * failure is thrown, naming the command and the kernel's reason.
     */
    void applyAll(List<Change> changes) throws IOException {
        synchronized (lock) {
            try {
                for (Change c : changes) {
                    apply(c);
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }
    }

    private void apply(Change change) throws IOException {
        String key = id + "." + (++steps);
        journal.willApply(key, change.undo());
        Commands.Result r;
        try {
            r = commands.run(change.apply(), change.stdin());
        } catch (IOException e) {
            // A command killed at its timeout may have acted: keep the undo outstanding.
            applied.add(new Applied(key, change));
            throw e;
        }
        if (r.ok()) {
            applied.add(new Applied(key, change));
            LOG.log(Level.DEBUG, "applied " + change.description());
            return;
        }
        journal.failed(key);
        if (change.skip() == Change.Skip.IF_PRESENT && r.alreadyExists()) {
            LOG.log(Level.INFO, "kept the existing route instead of adding: " + change.description());
            return;
        }
        if (change.skip() == Change.Skip.IF_IPV6_DISABLED && r.ipv6Disabled()) {
            LOG.log(Level.INFO, "IPv6 is disabled, so no IPv6 can leave outside the tunnel; skipped: "
                    + change.description() + " (" + r.reason() + ")");
            return;
        }
        throw r.failure();
    }

    @Override
    public List<String> changes() {
        synchronized (lock) {
            return applied.stream().map(a -> a.change().description()).toList();
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = applied.size() - 1; i >= 0; i--) {
                Applied a = applied.get(i);
                if (undo(a.change().undo())) {
                    try {
                        journal.undone(a.key());
                    } catch (IOException e) {
                        LOG.log(Level.WARNING, "cannot record in the routing journal that `"
                                + String.join(" ", a.change().undo()) + "` was done: " + e.getMessage());
                    }
                }
            }
            onClose.accept(this);
        }
    }

    /** Runs one undo; true when the change is gone (undone now, or gone already). */
    private boolean undo(List<String> argv) {
        try {
            Commands.Result r = commands.run(argv, null);
            if (r.ok() || r.alreadyGone()) {
                return true;
            }
            LOG.log(Level.WARNING, r.failure().getMessage() + "; it is retried at the next start of "
                    + LinuxRouteConfigurator.PID + ", or undo it by hand");
        } catch (IOException e) {
            LOG.log(Level.WARNING, e.getMessage() + "; it is retried at the next start of "
                    + LinuxRouteConfigurator.PID + ", or undo it by hand");
        }
        return false;
    }

    @Override
    public String toString() {
        return "routes#" + id + changes();
    }
}

package org.minivpn.launcher;

import java.io.PrintStream;
import java.util.function.BooleanSupplier;
import sun.misc.Signal;

/**
 * SIGTERM as a request for a clean stop that ends with exit status 0.
 *
 * <p>The JVM's own SIGTERM handler runs the shutdown hooks and then exits with 143 (128 + 15),
 * whatever the hooks did. systemd counts an exit status of 143 as a failure (only 0 and death by
 * SIGHUP, SIGINT, SIGTERM or SIGPIPE are clean, systemd.service(5) SuccessExitStatus=), so every
 * {@code systemctl stop} would leave the unit "failed". Like Jetty and Elasticsearch, the launcher
 * replaces that handler through {@code sun.misc.Signal} (module jdk.unsupported): the handler stops
 * the framework and {@code main} returns normally, with 0 after a clean stop. A framework that does
 * not stop within its bound ends the process with status 1, so a hung stop is never reported as
 * clean and a service manager is never left waiting for ever.
 *
 * <p>SIGINT and SIGHUP keep the JVM's handling (shutdown hook, 130 or 129): Ctrl-C in a terminal is
 * an interruption, not a service manager's stop.
 */
final class Termination {

    private final PrintStream log;
    private volatile boolean requested;
    private volatile BooleanSupplier stopper;

    private Termination(PrintStream log) {
        this.log = log;
    }

    /**
     * Takes over SIGTERM for this process. Until {@link #stopWith} names how to stop, a SIGTERM is
     * only remembered ({@link #requested()}), for the launcher to act on once the framework exists.
     */
    static Termination onSigterm(PrintStream log) {
        Termination t = new Termination(log);
        try {
            Signal.handle(new Signal("TERM"), s -> t.terminate());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // The JVM reserved SIGTERM (-Xrs): its default handling (exit 143) stays.
            log.println("minivpn: cannot handle SIGTERM (" + e.getMessage() + "); a SIGTERM exits with 143");
        }
        return t;
    }

    /**
     * How to stop: {@code stop} stops the framework and returns true when it did so within its
     * bound. Called once the framework exists; a SIGTERM that came earlier is acted on at once.
     */
    void stopWith(BooleanSupplier stop) {
        this.stopper = stop;
        if (requested) {
            terminate();
        }
    }

    /** True once a SIGTERM came: the launcher then treats a framework that stopped as a clean stop. */
    boolean requested() {
        return requested;
    }

    private void terminate() {
        requested = true;
        BooleanSupplier stop = stopper;
        if (stop != null && !stop.getAsBoolean()) {
            log.println("minivpn: the framework did not stop cleanly after SIGTERM; exiting with status 1");
            log.flush();
            Runtime.getRuntime().halt(1);
        }
    }
}

package org.minivpn.api.relay;

import java.io.IOException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The server side of the VPN: many client sessions on one transport listener. Thread-safe. */
@ProviderType
public interface VpnServer {

    /**
     * Starts listening on {@code port} (0 for the configured one) and serving clients.
     *
     * @throws IllegalStateException when already running
     * @throws IOException with a message that says what to do (e.g. port busy, no certificate)
     */
    void start(int port) throws IOException;

    /**
     * Ends every session, stops listening and undoes routing, and clears the saved autostart so that
     * the server does not serve again after a restart. Idempotent.
     */
    void stop();

    /** True between a successful {@link #start} and {@link #stop}. */
    boolean isRunning();

    /** The UDP endpoint it listens on, as host:port, or "" when not running. */
    String endpoint();

    /** What the routing configurator changed for the server, one line each; empty when not running. */
    List<String> routes();

    /**
     * Unexpected failures of the relay's own thread since {@link #start}, each logged (the first with
     * its stack trace) while relaying went on; 0 when not running.
     */
    long relayFailures();

    /**
     * The server's own figures: endpoint, pool use, drops and the transport's counters. The same
     * snapshot feeds {@code vpn:status}, the status page and {@code /metrics}.
     */
    ServerStatus status();

    /** A snapshot of the live sessions. */
    List<SessionInfo> sessions();

    /**
     * Ends the sessions of a client, named by identity or tunnel address.
     *
     * @return how many sessions were ended
     */
    int kick(String who);
}

package org.minivpn.shell;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ConnectRequest;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.minivpn.api.transport.NotConfiguredException;
import org.minivpn.api.transport.Transport;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The {@code vpn:} commands a user types at the Gogo prompt or runs with minivpn-ctl. Thin: they
 * parse, call the api and format. A failure is thrown as a {@link CommandFailure} with a message
 * that says what to do; Gogo shows the message alone and minivpn-ctl exits 1. On an appliance that
 * was never set up, vpn:connect answers with the steps that set it up ({@link GettingStarted}).
 */
@Component(service = VpnCommands.class, property = {
    "osgi.command.scope=vpn",
    "osgi.command.function=connect",
    "osgi.command.function=disconnect",
    "osgi.command.function=status",
    "osgi.command.function=serve",
    "osgi.command.function=stop",
    "osgi.command.function=sessions",
    "osgi.command.function=kick",
    "osgi.command.function=routes",
    "osgi.command.function=transports"})
public final class VpnCommands {

    private static final String NO_CLIENT = "no VPN client is installed in this appliance (the relay bundle is missing)";
    private static final String NO_SERVER = "no VPN server is installed in this appliance (the relay bundle is missing)";

    private static final String PLAIN = "speak plainly, as the original C MiniVPN's client: IP packets only, no control"
            + " messages (needs address in configs/org.minivpn.relay.client.cfg)";

    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnClient client;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnServer server;

    @Activate
    public VpnCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("connect to the server in the client's configuration (server in configs/org.minivpn.relay.client.cfg)")
    public String connect(
            @Descriptor("transport type to use, e.g. udp (default: the highest-ranked secure one)")
            @Parameter(names = {"-t", "--transport"}, absentValue = "") String transport,
            @Descriptor("route only the server's pushed routes through the tunnel, not all traffic")
            @Parameter(names = {"-s", "--split"}, presentValue = "true", absentValue = "false") boolean split,
            @Descriptor(PLAIN)
            @Parameter(names = {"-p", "--plain"}, presentValue = "true", absentValue = "false") boolean plain) {
        return connect(transport, split, plain, "", Transport.DEFAULT_PORT);
    }

    @Descriptor("connect to a VPN server and route all traffic through it (UDP port 23232)")
    public String connect(
            @Descriptor("transport type to use, e.g. udp (default: the highest-ranked secure one)")
            @Parameter(names = {"-t", "--transport"}, absentValue = "") String transport,
            @Descriptor("route only the server's pushed routes through the tunnel, not all traffic")
            @Parameter(names = {"-s", "--split"}, presentValue = "true", absentValue = "false") boolean split,
            @Descriptor(PLAIN)
            @Parameter(names = {"-p", "--plain"}, presentValue = "true", absentValue = "false") boolean plain,
            @Descriptor("server host name or address") String host) {
        return connect(transport, split, plain, host, Transport.DEFAULT_PORT);
    }

    @Descriptor("connect to a VPN server on a given UDP port and route all traffic through it")
    public String connect(
            @Descriptor("transport type to use, e.g. udp (default: the highest-ranked secure one)")
            @Parameter(names = {"-t", "--transport"}, absentValue = "") String transport,
            @Descriptor("route only the server's pushed routes through the tunnel, not all traffic")
            @Parameter(names = {"-s", "--split"}, presentValue = "true", absentValue = "false") boolean split,
            @Descriptor(PLAIN)
            @Parameter(names = {"-p", "--plain"}, presentValue = "true", absentValue = "false") boolean plain,
            @Descriptor("server host name or address") String host,
            @Descriptor("server UDP port") int port) {
        VpnClient c = require(client, NO_CLIENT);
        long start = System.nanoTime();
        try {
            c.connect(new ConnectRequest(host, port, transport.isEmpty() ? null : transport, split, plain));
        } catch (NotConfiguredException e) {
            throw new CommandFailure(GettingStarted.text(e.getMessage(), host,
                    context == null ? null : context.getProperty("minivpn.home")), e);
        } catch (IOException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
        ClientStatus s = c.status();
        return "connected to " + s.server() + " as " + StatusText.join(s.tunnelAddresses()) + " over " + s.transport()
                + (s.cipherSuite().isEmpty() ? " (NOT ENCRYPTED)" : " (" + s.cipherSuite() + ")") + " in "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms"
                + (split ? "; split tunnel: only pushed routes use it" : "; all traffic goes through the tunnel")
                + (s.plain() ? "; plain: IP packets only, no pushed routes, keepalives or RTT" : "");
    }

    @Descriptor("end the tunnel and restore the original routes")
    public String disconnect() {
        VpnClient c = require(client, NO_CLIENT);
        ClientState before = c.status().state();
        c.disconnect();
        return before == ClientState.DISCONNECTED ? "not connected" : "disconnected; routes restored";
    }

    @Descriptor("show the client's state (server, tunnel addresses, transport, cipher, crypto backend, traffic, round-trip time,"
            + " uptime) and the server's (endpoint, pool use, handshakes, drops)")
    public String status() {
        VpnClient c = client;
        VpnServer srv = server;
        StringBuilder out = new StringBuilder();
        if (c == null) {
            out.append(NO_CLIENT).append('\n');
        } else {
            out.append(StatusText.client(c.status(), Instant.now()));
        }
        if (srv != null) {
            ServerStatus st = srv.status();
            if (st.running()) {
                out.append(StatusText.serving(st));
            }
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("start the VPN server on the configured UDP port (configs/org.minivpn.relay.server.cfg)")
    public String serve() {
        return serve(0);
    }

    @Descriptor("start the VPN server on a given UDP port")
    public String serve(@Descriptor("UDP port to listen on") int port) {
        VpnServer s = require(server, NO_SERVER);
        try {
            s.start(port);
        } catch (IOException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
        return "serving on " + s.endpoint() + "; clients connect with vpn:connect <this host>";
    }

    @Descriptor("stop the VPN server: end every session and undo its routing")
    public String stop() {
        VpnServer s = require(server, NO_SERVER);
        boolean running = s.isRunning();
        s.stop(); // also when not running: it clears a saved autostart that failed to start
        return running ? "the server stopped" : "the server is not running";
    }

    @Descriptor("list the server's client sessions: identity, tunnel address, endpoint, traffic, last seen")
    public String sessions() {
        VpnServer s = require(server, NO_SERVER);
        if (!s.isRunning()) {
            return "the server is not running: start it with vpn:serve";
        }
        return StatusText.sessions(s.sessions(), Instant.now());
    }

    @Descriptor("end a client's session on the server")
    public String kick(@Descriptor("the client's identity (certificate name) or tunnel address") String who) {
        int n = require(server, NO_SERVER).kick(who);
        if (n == 0) {
            throw new CommandFailure("no session of '" + who + "': vpn:sessions lists them");
        }
        return "ended " + n + " session(s) of " + who;
    }

    @Descriptor("show the routes and firewall rules this appliance installed")
    public String routes() {
        StringBuilder out = new StringBuilder();
        VpnClient c = client;
        if (c != null) {
            for (String r : c.status().routes()) {
                out.append("client  ").append(r).append('\n');
            }
        }
        VpnServer s = server;
        if (s != null) {
            for (String r : s.routes()) {
                out.append("server  ").append(r).append('\n');
            }
        }
        return out.length() == 0 ? "no routes installed" : out.toString().stripTrailing();
    }

    @Descriptor("list the transports this appliance can use, highest ranked first")
    public String transports() throws InvalidSyntaxException {
        Collection<ServiceReference<Transport>> refs = context.getServiceReferences(Transport.class, null);
        if (refs.isEmpty()) {
            return "no transport is installed: add a transport bundle (e.g. org.minivpn.transport.dtls) to deploy/";
        }
        List<ServiceReference<Transport>> sorted = new ArrayList<>(refs);
        sorted.sort((a, b) -> b.compareTo(a));
        String active = "";
        VpnClient c = client;
        if (c != null) {
            active = c.status().transport();
        }
        StringBuilder out = new StringBuilder(String.format("%-8s %-7s %-7s %-7s %s%n", "TYPE", "SECURE", "RANKING",
                "IN USE", "BUNDLE"));
        for (ServiceReference<Transport> r : sorted) {
            Object type = r.getProperty(Transport.TYPE);
            out.append(String.format("%-8s %-7s %-7s %-7s %s%n", type,
                    Objects.requireNonNullElse(r.getProperty(Transport.SECURE), false),
                    Objects.requireNonNullElse(r.getProperty(Constants.SERVICE_RANKING), 0),
                    String.valueOf(type).equals(active) ? "client" : "", r.getBundle().getSymbolicName()));
        }
        return out.toString().stripTrailing();
    }

    private static <T> T require(T service, String missing) {
        if (service == null) {
            throw new CommandFailure(missing);
        }
        return service;
    }
}

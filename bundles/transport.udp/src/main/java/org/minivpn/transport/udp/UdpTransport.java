package org.minivpn.transport.udp;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportServer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The transport contract over plain UDP: no encryption, no authentication. It exists to debug
 * the relay and to show what the wire looks like without DTLS, so it starts only from a
 * configuration that says {@code insecure=true}: it requires an {@link InsecureConsent} with that
 * property, and stays unsatisfied (its reference {@value #CONSENT} unbound, the refusal in the log)
 * otherwise. Ranked below DTLS: consumers that take the best transport never get it by accident.
 */
@Component(service = Transport.class, configurationPid = UdpTransport.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = {
            Transport.TYPE + "=" + UdpTransport.TYPE, Transport.SECURE + ":Boolean=false", "service.ranking:Integer=-100"})
@Designate(ocd = UdpConfig.class)
public final class UdpTransport implements Transport {

    public static final String PID = "org.minivpn.transport.udp";
    static final String CONSENT = "consent";
    static final String TYPE = "udp";
    static final Logger LOG = System.getLogger("org.minivpn.transport.udp");
    static final String REFUSAL = "the plaintext UDP transport refuses to start: it sends packets unencrypted and lets"
            + " anyone connect; for debugging only, set insecure = true in configs/" + PID + ".cfg";

    private final Duration idleTimeout;
    private final int maxPacketSize;
    private final Set<UdpServer> servers = ConcurrentHashMap.newKeySet();
    private final Set<UdpClientSession> clients = ConcurrentHashMap.newKeySet();

    /** @throws IllegalStateException unless the configuration says insecure=true (the consent makes sure of it) */
    @Activate
    public UdpTransport(UdpConfig config,
            @Reference(name = CONSENT, target = "(insecure~=true)") InsecureConsent consent) {
        if (!config.insecure()) {
            throw new IllegalStateException(REFUSAL);
        }
        this.idleTimeout = Duration.ofSeconds(Math.max(5, config.session_idle_timeout()));
        this.maxPacketSize = Math.max(576, Math.min(65000, config.max_packet_size()));
        LOG.log(Level.WARNING, "the plaintext UDP transport is on (insecure = true in configs/" + PID + ".cfg):"
                + " packets cross the network unencrypted and anyone can connect");
    }

    @Deactivate
    void deactivate() {
        for (UdpServer s : new ArrayList<>(servers)) {
            s.close();
        }
        for (UdpClientSession c : new ArrayList<>(clients)) {
            c.close();
        }
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (server.isUnresolved()) {
            throw new UnknownHostException("cannot resolve the server name " + server.getHostString());
        }
        UdpClientSession session = UdpClientSession.connect(server, handler, timeout, maxPacketSize, clients::remove);
        clients.add(session);
        session.start();
        LOG.log(Level.WARNING, "plaintext UDP session with " + server + ": not encrypted, server not authenticated");
        return session;
    }

    @Override
    public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        UdpServer server = UdpServer.start(bind, handler, idleTimeout, maxPacketSize, servers::remove);
        servers.add(server);
        LOG.log(Level.WARNING, "plaintext UDP server on " + server.localAddress() + ": not encrypted, clients not authenticated");
        return server;
    }
}

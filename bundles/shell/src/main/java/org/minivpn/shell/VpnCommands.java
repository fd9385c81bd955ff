package org.minivpn.shell;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.felix.service.command.Descriptor;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.VpnClient;
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

/** The {@code vpn:} commands a user types at the Gogo prompt or runs with minivpn-ctl. */
@Component(service = VpnCommands.class, property = {
    "osgi.command.scope=vpn",
    "osgi.command.function=status",
    "osgi.command.function=transports"})
public final class VpnCommands {

    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VpnClient client;

    @Activate
    public VpnCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("show the state of the VPN client: server, tunnel addresses, traffic, round-trip time")
    public String status() {
        VpnClient c = client;
        if (c == null) {
            return "no VPN client is installed in this appliance (the relay bundle is missing)";
        }
        ClientStatus s = c.status();
        StringBuilder out = new StringBuilder();
        line(out, "state", s.state().name());
        line(out, "server", s.server());
        line(out, "tunnel", s.tunnelAddresses().toString());
        line(out, "transport", s.transport());
        line(out, "cipher", s.cipherSuite());
        line(out, "traffic", "in " + s.traffic().bytesIn() + " B / " + s.traffic().packetsIn() + " pkts, out "
                + s.traffic().bytesOut() + " B / " + s.traffic().packetsOut() + " pkts, dropped " + s.traffic().dropped());
        line(out, "rtt", s.rtt() == null ? "-" : s.rtt().toMillis() + " ms");
        line(out, "since", String.valueOf(s.since()));
        line(out, "reconnects", String.valueOf(s.reconnects()));
        return out.toString().stripTrailing();
    }

    @Descriptor("list the transports this appliance can use, highest ranked first")
    public String transports() throws InvalidSyntaxException {
        Collection<ServiceReference<Transport>> refs = context.getServiceReferences(Transport.class, null);
        if (refs.isEmpty()) {
            return "no transport is installed: add a transport bundle (e.g. org.minivpn.transport.dtls) to deploy/";
        }
        List<ServiceReference<Transport>> sorted = new ArrayList<>(refs);
        sorted.sort((a, b) -> b.compareTo(a));
        StringBuilder out = new StringBuilder(String.format("%-8s %-7s %-7s %s%n", "TYPE", "SECURE", "RANKING", "BUNDLE"));
        for (ServiceReference<Transport> r : sorted) {
            out.append(String.format("%-8s %-7s %-7s %s%n", r.getProperty(Transport.TYPE),
                    Objects.requireNonNullElse(r.getProperty(Transport.SECURE), false),
                    Objects.requireNonNullElse(r.getProperty(Constants.SERVICE_RANKING), 0),
                    r.getBundle().getSymbolicName()));
        }
        return out.toString().stripTrailing();
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(String.format("%-11s %s%n", key, value.isEmpty() ? "-" : value));
    }
}

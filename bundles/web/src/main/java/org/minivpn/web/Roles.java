package org.minivpn.web;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.minivpn.api.route.RouteConfigurator;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.tun.TunDevice;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The appliance's bundles, and for each role of the api (TUN device, transport, crypto backend,
 * routing, client, server) the services that can fill it and which bundles use each one now: the
 * backend that serves a role is the one with users. Read from the framework's registry, as
 * {@code lb} and {@code vpn:transports} do.
 */
final class Roles {

    /** One bundle of the appliance. */
    record BundleRow(long id, String name, String version, String state) {
    }

    /** One service that can fill a role. */
    record RoleRow(String role, String name, String bundle, int ranking, List<String> usedBy) {
    }

    private record Role(String label, String objectClass, String nameProperty) {
    }

    private static final List<Role> ROLES = List.of(
            new Role("TUN device", TunDevice.class.getName(), TunDevice.NAME),
            new Role("transport", Transport.class.getName(), Transport.TYPE),
            new Role("crypto backend", CryptoBackend.class.getName(), CryptoBackend.NAME),
            new Role("routing", RouteConfigurator.class.getName(), RouteConfigurator.TYPE),
            new Role("VPN client", VpnClient.class.getName(), null),
            new Role("VPN server", VpnServer.class.getName(), null));

    private Roles() {
    }

    static List<BundleRow> bundles(BundleContext context) {
        List<BundleRow> rows = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            rows.add(new BundleRow(b.getBundleId(), Objects.requireNonNullElse(b.getSymbolicName(), b.getLocation()),
                    b.getVersion().toString(), state(b.getState())));
        }
        return rows;
    }

    /** Every service of every role, highest ranked first within a role; "used by" leaves out this bundle. */
    static List<RoleRow> roles(BundleContext context) {
        List<RoleRow> rows = new ArrayList<>();
        for (Role role : ROLES) {
            ServiceReference<?>[] refs;
            try {
                refs = context.getAllServiceReferences(role.objectClass(), null);
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            if (refs == null) {
                continue;
            }
            Arrays.sort(refs, (a, b) -> b.compareTo(a));
            for (ServiceReference<?> r : refs) {
                List<String> users = new ArrayList<>();
                Bundle[] using = r.getUsingBundles();
                if (using != null) {
                    for (Bundle u : using) {
                        if (u.getBundleId() != context.getBundle().getBundleId()) {
                            users.add(u.getSymbolicName());
                        }
                    }
                }
                Object name = role.nameProperty() == null ? null : r.getProperty(role.nameProperty());
                Object ranking = r.getProperty(Constants.SERVICE_RANKING);
                rows.add(new RoleRow(role.label(), name == null ? "" : String.valueOf(name),
                        r.getBundle() == null ? "" : r.getBundle().getSymbolicName(),
                        ranking instanceof Integer i ? i : 0, users));
            }
        }
        return rows;
    }

    static String state(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "active";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.INSTALLED -> "installed";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            default -> "uninstalled";
        };
    }
}

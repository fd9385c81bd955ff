package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.route.AppliedRoutes;
import org.minivpn.api.route.ClientRoutes;
import org.minivpn.api.route.RouteConfigurator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The routing configurators in the distribution: both types are offered for consumers to pick
 * with a target filter, and the Linux one, active from the start, changes nothing in the
 * namespace the appliance runs in (here the root one) unless asked to route.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RoutingIT {

    private static final String BEFORE = "minivpn.test.network.before";

    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        // Taken before the framework starts, and so before the configurator is activated.
        System.setProperty(BEFORE, networkState());
        return CoreOptions.options(ApplianceOptions.appliance("routing"));
    }

    @Test
    public void bothConfiguratorsAreOfferedByType() throws Exception {
        Collection<ServiceReference<RouteConfigurator>> all = context.getServiceReferences(RouteConfigurator.class, null);
        assertEquals(2, all.size());
        assertEquals(1, context.getServiceReferences(RouteConfigurator.class, "(route.type=linux)").size());
        assertEquals(1, context.getServiceReferences(RouteConfigurator.class, "(route.type=none)").size());
    }

    @Test
    public void theLinuxConfiguratorIsActiveAndChangedNothing() {
        ComponentDescriptionDTO linux = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals("org.minivpn.route.linux.LinuxRouteConfigurator")).findFirst().orElseThrow();
        List<Integer> states = scr.getComponentConfigurationDTOs(linux).stream().map(c -> c.state).toList();
        assertEquals(List.of(ComponentConfigurationDTO.ACTIVE), states);
        assertEquals("routes, nft tables and forwarding of this namespace", System.getProperty(BEFORE), networkState());
        Path journal = Path.of(context.getProperty("minivpn.home"), "run", "routes.journal");
        assertFalse("no journal without a change", Files.exists(journal));
    }

    @Test
    public void theNoneConfiguratorChangesNothingWhenAskedToRoute() throws Exception {
        ServiceReference<RouteConfigurator> ref = context.getServiceReferences(RouteConfigurator.class,
                "(route.type=none)").iterator().next();
        RouteConfigurator none = context.getService(ref);
        try (AppliedRoutes applied = none.routeClient(new ClientRoutes("mvrtnone0",
                InetAddress.getByName("198.18.21.1"), 1194, true, List.of(), true, true))) {
            assertTrue(applied.changes().isEmpty());
            assertEquals(System.getProperty(BEFORE), networkState());
        } finally {
            context.ungetService(ref);
        }
    }

    /** Reads (never changes) the IPv4 routes, nftables tables and forwarding of this namespace. */
    private static String networkState() {
        return run("ip", "-4", "route", "show") + "\n" + run("nft", "list", "tables") + "\n"
                + read("/proc/sys/net/ipv4/ip_forward") + read("/proc/sys/net/ipv6/conf/all/forwarding");
    }

    private static String run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", argv) + ": timed out";
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return String.join(" ", argv) + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return String.join(" ", argv) + ": interrupted";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            return file + ": " + e.getMessage();
        }
    }
}

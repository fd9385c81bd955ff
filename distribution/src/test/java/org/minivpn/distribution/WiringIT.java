package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import javax.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** Boots the distribution's bundle set in Felix and proves the wiring. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WiringIT {

    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private CommandProcessor processor;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return ApplianceOptions.appliance("wiring");
    }

    @Test
    public void everyBundleOfTheDistributionIsActive() {
        List<String> distribution = new ArrayList<>();
        for (Path jar : ApplianceOptions.bundles()) {
            distribution.add(jar.toUri().toString());
        }
        int seen = 0;
        for (Bundle b : context.getBundles()) {
            if (distribution.contains(b.getLocation())) {
                seen++;
                boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
                assertEquals(b.getSymbolicName() + " is not active", fragment ? Bundle.RESOLVED : Bundle.ACTIVE, b.getState());
            }
        }
        assertEquals("every jar of the distribution is installed", distribution.size(), seen);
    }

    @Test
    public void everyComponentOfOurBundlesIsSatisfied() {
        int ours = 0;
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.bundle.symbolicName.startsWith("org.minivpn.")) {
                continue;
            }
            ours++;
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                assertTrue(d.name + " is not satisfied (state " + c.state + ", unsatisfied references "
                        + List.of(c.unsatisfiedReferences).stream().map(r -> r.name).toList() + ")",
                        c.state == ComponentConfigurationDTO.SATISFIED || c.state == ComponentConfigurationDTO.ACTIVE);
            }
        }
        assertTrue("our bundles declare components", ours >= 2);
    }

    @Test
    public void vpnCommandsAnswerThroughAGogoSession() throws Exception {
        String transports = run("vpn:transports");
        assertTrue(transports, transports.contains("dtls") && transports.contains("org.minivpn.transport.dtls"));
        String status = run("vpn:status");
        assertTrue(status, status.contains("DISCONNECTED"));
        assertTrue(run("vpn:sessions"), run("vpn:sessions").contains("the server is not running"));
        assertTrue(run("vpn:disconnect"), run("vpn:disconnect").contains("not connected"));
        assertTrue(run("vpn:routes"), run("vpn:routes").contains("no routes installed"));
        String help = run("help vpn:connect");
        assertTrue(help, help.contains("connect to a VPN server and route all traffic through it"));
        assertTrue(help, help.contains("--split"));
    }

    @Test
    public void aConfigurationFileDroppedIntoConfigsIsApplied() throws Exception {
        Path configs = Path.of(context.getProperty("minivpn.home"), "configs");
        Files.writeString(configs.resolve("org.minivpn.test.cfg"), "greeting = hello\n");
        Dictionary<String, Object> props = null;
        long deadline = System.currentTimeMillis() + 10_000;
        while (props == null && System.currentTimeMillis() < deadline) {
            org.osgi.service.cm.Configuration[] found = configAdmin.listConfigurations("(service.pid=org.minivpn.test)");
            props = found == null ? null : found[0].getProperties();
            Thread.sleep(50);
        }
        assertNotNull("FileInstall applied configs/org.minivpn.test.cfg within 10 s", props);
        assertEquals("hello", props.get("greeting"));
    }

    private String run(String command) throws Exception {
        return Gogo.run(processor, command);
    }
}

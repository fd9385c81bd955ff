package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.tun.TunDevice;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A server and a client relay inside one framework, driven only through vpn: commands in Gogo
 * sessions: memory TUN devices, real DTLS over loopback UDP, the `none` routing configurator (this
 * framework runs in the root network namespace, so nothing may touch its routes).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CommandsIT {

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private CommandProcessor processor;

    @Configuration
    public Option[] config() {
        return ApplianceOptions.appliance("commands");
    }

    @Test
    public void serverAndClientRelaysExchangePacketsThroughEveryCommand() throws Exception {
        TestCertificates.write(Path.of(context.getProperty("minivpn.home"), "pki"), "appliance");
        update("org.minivpn.transport.dtls", Map.of("cert", "pki/appliance.crt", "key", "pki/appliance.key"));
        memoryTun("mvsrv");
        memoryTun("mvcli");
        int port;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            port = probe.getLocalPort();
        }
        update("org.minivpn.relay.server", Map.of("tun.target", "(tun.name=mvsrv)", "routing.target", "(route.type=none)",
                "listen", "127.0.0.1"));
        update("org.minivpn.relay.client", Map.of("tun.target", "(tun.name=mvcli)", "routing.target", "(route.type=none)"));
        await(() -> device("mvsrv", false) != null && device("mvcli", false) != null, "both memory devices are up");

        String serve = await("vpn:serve " + port, "serving on 127.0.0.1:" + port);
        assertTrue(serve, serve.contains("serving on 127.0.0.1:" + port));
        String connect = await("vpn:connect 127.0.0.1 " + port, "connected to");
        assertTrue(connect, connect.contains("as 10.7.0.2/24 over dtls (TLS_ECDHE_"));

        TunDevice clientKernel = device("mvcli", true);
        TunDevice serverKernel = device("mvsrv", true);
        assertEquals("up", exchange(clientKernel, serverKernel, "10.7.0.2", "198.51.100.9", "up"));
        assertEquals("down", exchange(serverKernel, clientKernel, "198.51.100.9", "10.7.0.2", "down"));

        String status = Gogo.run(processor, "vpn:status");
        assertTrue(status, status.contains("CONNECTED") && status.contains("dtls") && status.contains("10.7.0.2/24"));
        assertTrue(status, status.contains("serving"));
        String sessions = Gogo.run(processor, "vpn:sessions");
        assertTrue(sessions, sessions.contains("10.7.0.2") && sessions.contains("1 session(s)"));
        String transports = Gogo.run(processor, "vpn:transports");
        assertTrue(transports, transports.lines().anyMatch(l -> l.startsWith("dtls") && l.contains("client")));
        assertTrue(Gogo.run(processor, "vpn:routes"), Gogo.run(processor, "vpn:routes").contains("no routes installed"));

        String kick = Gogo.run(processor, "vpn:kick 10.7.0.2");
        assertTrue(kick, kick.contains("ended 1 session(s) of 10.7.0.2"));
        VpnClient client = context.getService(context.getServiceReference(VpnClient.class));
        await(() -> client.status().reconnects() == 1 && client.status().state().name().equals("CONNECTED"),
                "the kicked client reconnects by itself");
        assertEquals("again", exchange(clientKernel, serverKernel, "10.7.0.2", "198.51.100.9", "again"));

        assertTrue(Gogo.run(processor, "vpn:disconnect").contains("disconnected"));
        assertTrue(Gogo.run(processor, "vpn:status").contains("DISCONNECTED"));
        assertTrue(Gogo.run(processor, "vpn:stop").contains("the server stopped"));
    }

    private InFrameworkVpn vpn() {
        return new InFrameworkVpn(context, configAdmin, processor);
    }

    private void update(String pid, Map<String, String> properties) throws Exception {
        vpn().update(pid, properties);
    }

    private void memoryTun(String name) throws Exception {
        vpn().memoryTun(name);
    }

    private TunDevice device(String name, boolean kernel) {
        return vpn().device(name, kernel);
    }

    private static String exchange(TunDevice from, TunDevice to, String src, String dst, String text) throws Exception {
        return InFrameworkVpn.exchange(from, to, src, dst, text);
    }

    private String await(String command, String expected) throws Exception {
        return vpn().await(command, expected);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        InFrameworkVpn.await(condition, what);
    }
}

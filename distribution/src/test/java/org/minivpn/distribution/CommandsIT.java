package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Hashtable;
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
import org.osgi.framework.ServiceReference;
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

    private void update(String pid, Map<String, String> properties) throws Exception {
        configAdmin.getConfiguration(pid, "?").update(new Hashtable<>(properties));
    }

    private void memoryTun(String name) throws Exception {
        configAdmin.createFactoryConfiguration("org.minivpn.tun.memory", "?")
                .update(new Hashtable<>(Map.of("name", name, "mtu", "1400")));
    }

    /** The device with that name, or with kernel=true its kernel side; null when not there yet. */
    private TunDevice device(String name, boolean kernel) {
        try {
            // The kernel side is registered only as the memory backend's own class.
            String type = kernel ? "org.minivpn.tun.memory.MemoryTunDevice" : TunDevice.class.getName();
            String filter = "(&(tun.name=" + name + ")" + (kernel ? "(tun.side=kernel)" : "(!(tun.side=kernel))") + ")";
            ServiceReference<?>[] refs = context.getServiceReferences(type, filter);
            return refs == null ? null : (TunDevice) context.getService(refs[0]);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes an IPv4 packet on one kernel side and returns the text read on the other within 5 s. */
    private static String exchange(TunDevice from, TunDevice to, String src, String dst, String text) throws Exception {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[20 + body.length];
        p[0] = 0x45;
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(java.net.InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(java.net.InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        System.arraycopy(body, 0, p, 20, body.length);
        from.write(p, 0, p.length);
        byte[] buf = new byte[2048];
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            int n = to.read(buf, 0, buf.length, 100);
            if (n > 20) {
                return new String(buf, 20, n - 20, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Runs a command until its output contains {@code expected} (configuration applies asynchronously). */
    private String await(String command, String expected) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                String out = Gogo.run(processor, command);
                if (out.contains(expected)) {
                    return out;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(command + " did not answer '" + expected + "' within 15 s", last);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!condition.getAsBoolean()) {
            assertNotNull("timed out waiting until " + what, System.currentTimeMillis() < deadline ? "" : null);
            Thread.sleep(100);
        }
    }
}

package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import javax.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.relay.VpnServer;
import org.minivpn.api.tun.TunDevice;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The status page in the distribution's bundle set: Felix HTTP (Jetty) bound by the web bundle to
 * loopback (at a free port here), every component of the web bundle active, the page and /metrics
 * answering with the relay's figures, actions refused without the page's token, and the VPN untouched
 * when the web bundle stops.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebIT {

    /** The jakarta Servlet Whiteboard's runtime service, named only by string: its classes live in Felix alone. */
    private static final String RUNTIME = "org.osgi.service.servlet.runtime.HttpServiceRuntime";

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
        return ApplianceOptions.appliance("web");
    }

    @Test
    public void theWebBundlesComponentsComeUpAndThePageShowsTheRelaysFigures() throws Exception {
        String page = endpoint();
        assertTrue(page, page.startsWith("http://127.0.0.1:"));
        Answer index = get(page);
        assertEquals(index.body, 200, index.status);
        assertTrue(index.body, index.body.contains("<title>MiniVPN</title>") && index.body.contains("app.js"));
        assertTrue(get(page + "app.js").body.contains("new EventSource('api/events')"));
        Answer state = get(page + "api/state");
        assertEquals(200, state.status);
        assertTrue(state.body, state.body.contains("\"client\":{\"state\":\"DISCONNECTED\""));
        assertTrue(state.body, state.body.contains("\"server\":{\"running\":false"));
        assertTrue(state.body, state.body.contains("\"name\":\"org.minivpn.web\""));
        assertTrue("vpn:status agrees", Gogo.run(processor, "vpn:status").contains("DISCONNECTED"));
        Answer metrics = get(page + "metrics");
        assertEquals(200, metrics.status);
        assertTrue(metrics.body, metrics.body.contains("minivpn_client_state{state=\"disconnected\"} 1.0"));
        assertTrue(metrics.body, metrics.body.contains("minivpn_server_up 0.0"));
        assertTrue(metrics.body, metrics.body.contains("jvm_memory_used_bytes{area=\"heap\"}"));
        assertEquals("the page's servlets and helpers are active", List.of(), inactiveWebComponents());
    }

    @Test
    public void actionsWithoutThePagesTokenAndRequestsNamingAnotherHostAreRefused() throws Exception {
        String page = endpoint();
        HttpURLConnection kick = (HttpURLConnection) URI.create(page + "api/kick").toURL().openConnection();
        kick.setRequestMethod("POST");
        kick.setDoOutput(true);
        try (OutputStream out = kick.getOutputStream()) {
            out.write("who=alice".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(403, kick.getResponseCode());
        String rebound = raw(page, "GET /api/state HTTP/1.1\r\nHost: attacker.example:8023\r\nConnection: close\r\n\r\n");
        assertTrue(rebound, rebound.startsWith("HTTP/1.1 403"));
        assertTrue(rebound, rebound.contains("is not this page's address"));
    }

    /**
     * A server and a client relay in this framework (memory TUN devices, DTLS over loopback): the page
     * and /metrics show the session with the figures vpn:sessions prints; then the web bundle stops,
     * Jetty stops listening, and the tunnel goes on carrying packets.
     */
    @Test
    public void thePageShowsALiveTunnelAndStoppingTheWebBundleLeavesItUp() throws Exception {
        InFrameworkVpn vpn = new InFrameworkVpn(context, configAdmin, processor);
        TestCertificates.write(Path.of(context.getProperty("minivpn.home"), "pki"), "appliance");
        vpn.update("org.minivpn.transport.dtls", Map.of("cert", "pki/appliance.crt", "key", "pki/appliance.key"));
        vpn.memoryTun("mvwsrv");
        vpn.memoryTun("mvwcli");
        int port;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            port = probe.getLocalPort();
        }
        vpn.update("org.minivpn.relay.server", Map.of("tun.target", "(tun.name=mvwsrv)", "routing.target",
                "(route.type=none)", "listen", "127.0.0.1"));
        vpn.update("org.minivpn.relay.client", Map.of("tun.target", "(tun.name=mvwcli)", "routing.target",
                "(route.type=none)"));
        InFrameworkVpn.await(() -> vpn.device("mvwsrv", false) != null && vpn.device("mvwcli", false) != null,
                "both memory devices are up");
        vpn.await("vpn:serve " + port, "serving on 127.0.0.1:" + port);
        vpn.await("vpn:connect 127.0.0.1 " + port, "connected to");
        TunDevice clientKernel = vpn.device("mvwcli", true);
        TunDevice serverKernel = vpn.device("mvwsrv", true);
        try {
            assertEquals("up", InFrameworkVpn.exchange(clientKernel, serverKernel, "10.7.0.2", "198.51.100.9", "up"));
            String page = endpoint();
            String state = get(page + "api/state").body;
            assertTrue(state, state.contains("\"client\":{\"state\":\"CONNECTED\""));
            assertTrue(state, state.contains("\"crypto\":\"jca\""));
            assertTrue(state, state.contains("\"sessions\":[{\"identity\":\"appliance\",\"tunnel\":[\"10.7.0.2\"]"));
            VpnServer server = context.getService(context.getServiceReference(VpnServer.class));
            long in = server.sessions().get(0).traffic().bytesIn();
            assertTrue("the packet was counted", in > 0);
            String metrics = get(page + "metrics").body;
            assertTrue(metrics, metrics.contains("minivpn_session_bytes_total{direction=\"in\",identity=\"appliance\"} " + in + ".0"));
            assertTrue(metrics, metrics.contains("minivpn_pool_addresses_in_use 1.0"));
            assertTrue(metrics, metrics.contains("minivpn_handshakes_total{result=\"ok\"} 1.0"));
            String sessions = Gogo.run(processor, "vpn:sessions");
            assertTrue(sessions, sessions.lines().anyMatch(l -> l.startsWith("appliance") && l.contains(" " + in + " B ")));

            Bundle web = bundle("org.minivpn.web");
            Bundle relay = bundle("org.minivpn.relay");
            web.stop();
            try {
                assertEquals(Bundle.ACTIVE, relay.getState());
                assertTrue(Gogo.run(processor, "vpn:status").contains("CONNECTED"));
                assertTrue(Gogo.run(processor, "vpn:sessions").contains("1 session(s)"));
                assertEquals("the tunnel carries packets without the web bundle", "still up",
                        InFrameworkVpn.exchange(clientKernel, serverKernel, "10.7.0.2", "198.51.100.9", "still up"));
                assertEquals("down", InFrameworkVpn.exchange(serverKernel, clientKernel, "198.51.100.9", "10.7.0.2", "down"));
                long deadline = System.currentTimeMillis() + 10_000;
                boolean closed = false;
                while (!closed && System.currentTimeMillis() < deadline) {
                    try {
                        get(page);
                        Thread.sleep(100);
                    } catch (ConnectException e) {
                        closed = true;
                    }
                }
                assertTrue("Jetty stopped listening with the web bundle", closed);
            } finally {
                web.start();
            }
            assertTrue(get(endpoint() + "api/state").body.contains("\"state\":\"CONNECTED\""));
        } finally {
            Gogo.run(processor, "vpn:disconnect");
            Gogo.run(processor, "vpn:stop");
        }
    }

    private List<String> inactiveWebComponents() throws InterruptedException {
        List<String> inactive = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        do {
            inactive.clear();
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(bundle("org.minivpn.web"))) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state != ComponentConfigurationDTO.ACTIVE) {
                        inactive.add(d.name + " (state " + c.state + ")");
                    }
                }
            }
            Thread.sleep(100);
        } while (!inactive.isEmpty() && System.currentTimeMillis() < deadline);
        return inactive;
    }

    /** The page's address, once Jetty listens (at most 20 s). */
    private String endpoint() throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            ServiceReference<?>[] refs = context.getServiceReferences(RUNTIME, null);
            if (refs != null) {
                Object e = refs[0].getProperty("osgi.http.endpoint");
                String first = e instanceof String[] a ? a[0] : e instanceof List<?> list ? String.valueOf(list.get(0))
                        : String.valueOf(e);
                try {
                    if (get(first).status == 200) {
                        return first;
                    }
                } catch (IOException notYet) {
                    // Jetty is starting
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the status page did not come up within 20 s");
    }

    private Bundle bundle(String name) {
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(name + " is not installed");
    }

    private record Answer(int status, String body) {
    }

    private static Answer get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        int status = c.getResponseCode();
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** A request written by hand, for headers HttpURLConnection will not send (Host). */
    private static String raw(String page, String request) throws IOException {
        URI u = URI.create(page);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

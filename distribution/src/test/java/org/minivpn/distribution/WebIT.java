package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import javax.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import org.osgi.framework.ServiceReference;
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

    @Test
    public void stoppingTheWebBundleLeavesTheVpnUntouched() throws Exception {
        String page = endpoint();
        Bundle web = bundle("org.minivpn.web");
        Bundle relay = bundle("org.minivpn.relay");
        long client = context.getServiceReference("org.minivpn.api.relay.VpnClient").getProperty("service.id") instanceof Long l
                ? l : -1;
        web.stop();
        try {
            assertEquals(Bundle.ACTIVE, relay.getState());
            assertEquals("the same client service", client,
                    context.getServiceReference("org.minivpn.api.relay.VpnClient").getProperty("service.id"));
            assertNotNull(context.getServiceReference("org.minivpn.api.relay.VpnServer"));
            assertTrue(Gogo.run(processor, "vpn:status").contains("DISCONNECTED"));
            assertTrue(Gogo.run(processor, "vpn:sessions").contains("the server is not running"));
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
        assertEquals(200, get(endpoint()).status);
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

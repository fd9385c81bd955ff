package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import javax.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.crypto.CryptoBackend;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportException;
import org.minivpn.api.transport.TransportServer;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The transports and crypto backends as the appliance wires them: DTLS outranks plaintext UDP,
 * UDP refuses to start without insecure=true, DTLS starts without certificates and gives advice,
 * and a real handshake runs inside Felix with the backend that configuration selects.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String UDP_PID = "org.minivpn.transport.udp";
    private static final String DTLS_PID = "org.minivpn.transport.dtls";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return ApplianceOptions.appliance("transport");
    }

    @Test
    public void bothCryptoBackendsAreRegisteredAndJcaRanksFirst() throws Exception {
        ServiceReference<CryptoBackend> best = context.getServiceReference(CryptoBackend.class);
        assertEquals("jca", best.getProperty(CryptoBackend.NAME));
        assertEquals(2, context.getServiceReferences(CryptoBackend.class, null).size());
    }

    @Test
    public void udpRefusesToStartUntilConfiguredInsecureAndNeverOutranksDtls() throws Exception {
        org.osgi.service.cm.Configuration udp = configAdmin.getConfiguration(UDP_PID, "?");
        try {
            udp.update(new Hashtable<>(java.util.Map.of("insecure", "false")));
            String state = await(() -> unsatisfiedReferences("org.minivpn.transport.udp.UdpTransport"));
            assertEquals("waits for the consent that insecure=true gives", "[consent]", state);
            assertTrue(references("(transport.type=udp)").isEmpty());

            udp.update(new Hashtable<>(java.util.Map.of("insecure", "true")));
            waitFor(() -> !references("(transport.type=udp)").isEmpty(), "the udp transport starts with insecure=true");
            ServiceReference<Transport> plain = references("(transport.type=udp)").iterator().next();
            assertEquals(Boolean.FALSE, plain.getProperty(Transport.SECURE));
            assertEquals("dtls", context.getServiceReference(Transport.class).getProperty(Transport.TYPE));
        } finally {
            udp.delete();
        }
        waitFor(() -> references("(transport.type=udp)").isEmpty(), "the udp transport goes with its configuration");
    }

    @Test
    public void dtlsWithoutCertificatesGivesAdviceThenWorksWhenTheyAppear() throws Exception {
        Transport dtls = dtls();
        Path pki = Path.of(context.getProperty("minivpn.home"), "pki");
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try {
            dtls.listen(loopback, new Echo()).close();
            fail("listening without a CA must fail");
        } catch (TransportException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith(
                    "no CA configured: run vpn:pki init or set ca in configs/org.minivpn.transport.dtls.cfg"));
        }

        TestCertificates.write(pki, "server");
        Queue atClient = new Queue();
        try (TransportServer server = dtls.listen(loopback, new Echo())) {
            Session jca = connect(dtls, server, atClient);
            assertTrue(jca.toString(), jca.toString().contains("jca backend"));
            assertEquals("server", jca.peerIdentity());

            org.osgi.service.cm.Configuration config = configAdmin.getConfiguration(DTLS_PID, "?");
            try {
                config.update(new Hashtable<>(java.util.Map.of("backend.target", "(crypto.backend=bc)")));
                waitFor(() -> connectQuietly(dtls(), server).contains("bc backend"), "new handshakes use the bc backend");
                assertTrue("the live session kept its backend and lives on", jca.isOpen());
                ping(jca, atClient);
            } finally {
                config.delete();
            }
        }
    }

    private Session connect(Transport dtls, TransportServer server, Queue handler) throws IOException {
        return dtls.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.localAddress().getPort()),
                null, handler, WAIT);
    }

    /** Connects, pings, closes; returns the session's description, or the failure. */
    private String connectQuietly(Transport dtls, TransportServer server) {
        Queue q = new Queue();
        try {
            Session s = connect(dtls, server, q);
            ping(s, q);
            s.close();
            return s.toString();
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static void ping(Session s, Queue q) throws Exception {
        byte[] p = "ping".getBytes(StandardCharsets.US_ASCII);
        s.send(p, 0, p.length);
        byte[] echo = q.packets.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull("echo within " + WAIT, echo);
        assertTrue(Arrays.equals(p, echo));
    }

    private Transport dtls() {
        ServiceReference<Transport> ref = references("(transport.type=dtls)").iterator().next();
        return context.getService(ref);
    }

    private java.util.Collection<ServiceReference<Transport>> references(String filter) {
        try {
            return context.getServiceReferences(Transport.class, filter);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The unsatisfied references of a component's configuration, or null while it has none. */
    private String unsatisfiedReferences(String component) {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.name.equals(component)) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                        return Arrays.stream(c.unsatisfiedReferences).map(r -> r.name).toList().toString();
                    }
                }
            }
        }
        return null;
    }

    private static <T> T await(java.util.function.Supplier<T> value) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        T v;
        while ((v = value.get()) == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertNotNull("nothing within " + WAIT, v);
        return v;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + WAIT + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    /** A client's handler: queues what arrives. */
    private static final class Queue implements SessionHandler {
        final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            packets.add(Arrays.copyOfRange(buf, off, off + len));
        }
    }

    /** A server's handler: sends every packet back. */
    private static final class Echo implements SessionHandler {
        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            try {
                session.send(buf, off, len);
            } catch (IOException e) {
                // the test sees no echo
            }
        }
    }
}

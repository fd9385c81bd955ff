package org.minivpn.distribution;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import javax.inject.Inject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportServer;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The TLS transport as a person deploys it: its jar from extras/ copied into deploy/ of a running
 * appliance appears in vpn:transports, carries a session over TCP with the appliance's certificates,
 * and goes away when the jar is removed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TlsDeployIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String FILTER = "(transport.type=tls)";

    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor processor;

    @Configuration
    public Option[] config() {
        return ApplianceOptions.appliance("tlsdeploy");
    }

    @Test
    public void deployedFromExtrasListedUsedAndUndeployed() throws Exception {
        Path home = Path.of(context.getProperty("minivpn.home"));
        TestCertificates.write(home.resolve("pki"), "server");
        Path jar = ApplianceOptions.dist().resolve("extras").resolve("org.minivpn.transport.tls.jar");
        assertTrue("the build puts the TLS transport in extras/: " + jar, Files.isRegularFile(jar));
        assertTrue("not in the default bundle set", references().isEmpty());
        String before = Gogo.run(processor, "vpn:transports");
        assertTrue(before, !listsTls(before));

        Path deployed = home.resolve("deploy").resolve(jar.getFileName());
        long start = System.nanoTime();
        Files.copy(jar, deployed);
        waitFor(() -> !references().isEmpty(), "the TLS transport registers once its jar is in deploy/");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("TLS transport listed " + millis + " ms after the copy into deploy/");
        String listing = Gogo.run(processor, "vpn:transports");
        assertTrue(listing, listsTls(listing));

        Transport tls = context.getService(references().iterator().next());
        Echo echo = new Echo();
        try (TransportServer server = tls.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), echo)) {
            Session s = tls.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.localAddress().getPort()),
                    "127.0.0.1", echo, WAIT);
            assertEquals("server", s.peerIdentity());
            assertTrue(s.cipherSuite(), s.cipherSuite().startsWith("TLS_"));
            byte[] p = "ping".getBytes(StandardCharsets.US_ASCII);
            s.send(p, 0, p.length);
            byte[] back = echo.atClient.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull("echo over TLS within " + WAIT, back);
            assertArrayEquals(p, back);
            s.close();
        }

        Files.delete(deployed);
        waitFor(() -> references().isEmpty(), "the TLS transport goes when its jar leaves deploy/");
        waitFor(() -> Arrays.stream(context.getBundles())
                .noneMatch(b -> "org.minivpn.transport.tls".equals(b.getSymbolicName())), "the bundle is uninstalled");
    }

    /** "tls" as a word of its own ("dtls" does not count). */
    private static boolean listsTls(String listing) {
        return java.util.regex.Pattern.compile("(?<![a-z])tls(?![a-z.])").matcher(listing).find();
    }

    private java.util.Collection<ServiceReference<Transport>> references() {
        try {
            return context.getServiceReferences(Transport.class, FILTER);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": not within " + WAIT);
            }
            Thread.sleep(50);
        }
    }

    /** The server side echoes each packet; the client side queues what comes back. */
    private static final class Echo implements SessionHandler {
        final BlockingQueue<byte[]> atClient = new LinkedBlockingQueue<>();

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            byte[] copy = Arrays.copyOfRange(buf, off, off + len);
            if (session.remoteAddress().getPort() == 0 || isServerSide(session)) {
                try {
                    session.send(copy, 0, copy.length);
                } catch (java.io.IOException e) {
                    // the test fails on the missing echo
                }
            } else {
                atClient.add(copy);
            }
        }

        private static boolean isServerSide(Session session) {
            return session.attachment() == null && session.peerIdentity().equals("server")
                    && Thread.currentThread().getName().startsWith("tls-rx-server-");
        }
    }
}

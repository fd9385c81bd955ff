package org.minivpn.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session against a Bouncy Castle DTLS server that plays the MiniVPN server's part: the
 * handshake with certificates both ways and a connection ID, HELLO answered by CONFIG, a PING the
 * keepers answer, and a GOODBYE that ends the session.
 */
class SessionProtocolTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
    private final ExecutorService serverThread = Executors.newSingleThreadExecutor();
    private TestPki pki;
    private Identity identity;

    @BeforeEach
    void pki() throws Exception {
        pki = new TestPki("Test CA");
        TestPki.Issued client = pki.issue("loadgen");
        TestPki.writeCertificate(dir.resolve("ca.crt"), pki.ca().certificate());
        TestPki.writeCertificate(dir.resolve("loadgen.crt"), client.certificate());
        TestPki.writeKey(dir.resolve("loadgen.key"), client.keys());
        identity = new Identity(crypto, dir.resolve("ca.crt"), dir.resolve("loadgen.crt"), dir.resolve("loadgen.key"));
    }

    @AfterEach
    void stop() {
        serverThread.shutdownNow();
    }

    @Test
    void opensGetsItsAddressAnswersPingsAndHearsGoodbye() throws Exception {
        try (FakeServer server = new FakeServer(crypto, pki.issue("server"));
                Keepers keepers = new Keepers(1)) {
            Future<DTLSTransport> accepted = serverThread.submit(() -> {
                DTLSTransport dtls = server.accept(10_000);
                byte[] buf = new byte[2048];
                int n = dtls.receive(buf, 0, buf.length, 10_000);
                assertArrayEquals(new byte[] {VpnSession.HELLO, VpnSession.VERSION}, Arrays.copyOf(buf, Math.max(n, 0)));
                send(dtls, VpnSession.CONFIG, VpnSession.VERSION, "address=10.77.0.2/20\ngateway=10.77.0.1\nmtu=1400\n");
                return dtls;
            });

            Opener.Opened opened = new Opener(server.address(), crypto, identity).open(TIMEOUT);
            DTLSTransport dtls = accepted.get(10, TimeUnit.SECONDS);
            VpnSession session = opened.session();
            assertEquals("CN=loadgen", server.clientSubject());
            assertEquals("10.77.0.2/20", session.address());
            assertTrue(opened.handshakeNanos() > 0 && opened.configNanos() > 0);

            keepers.adopt(session);
            byte[] ping = {VpnSession.PING, 1, 2, 3, 4, 5, 6, 7, 8};
            dtls.send(ping, 0, ping.length);
            byte[] buf = new byte[2048];
            int n = dtls.receive(buf, 0, buf.length, 10_000);
            assertArrayEquals(new byte[] {VpnSession.PONG, 1, 2, 3, 4, 5, 6, 7, 8}, Arrays.copyOf(buf, Math.max(n, 0)));
            assertNull(session.lost());

            send(dtls, VpnSession.GOODBYE, "the server is shutting down");
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (session.lost() == null && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
            assertEquals("the server said goodbye: the server is shutting down", session.lost());
            assertEquals(1, keepers.pongs());
        }
    }

    @Test
    void refusesAServerFromAnotherCa() throws Exception {
        TestPki other = new TestPki("Other CA");
        try (FakeServer server = new FakeServer(crypto, other.issue("server"))) {
            serverThread.submit(() -> server.accept(10_000));
            IOException e = assertThrows(IOException.class,
                    () -> new Opener(server.address(), crypto, identity).open(TIMEOUT));
            String reason = VpnSession.describe(e);
            assertTrue(reason.startsWith("we refused with the alert bad_certificate"), reason);
        }
    }

    @Test
    void failsWhenNoConfigComesInTime() throws Exception {
        try (FakeServer server = new FakeServer(crypto, pki.issue("server"))) {
            Future<Integer> hellos = serverThread.submit(() -> {
                DTLSTransport dtls = server.accept(10_000);
                byte[] buf = new byte[2048];
                int n = 0;
                for (long end = System.nanoTime() + 4_000_000_000L; System.nanoTime() - end < 0; ) {
                    n += dtls.receive(buf, 0, buf.length, 200) == 2 && buf[0] == VpnSession.HELLO ? 1 : 0;
                }
                return n;
            });
            IOException e = assertThrows(IOException.class,
                    () -> new Opener(server.address(), crypto, identity).open(Duration.ofSeconds(3)));
            assertEquals("no CONFIG came in answer to HELLO within the handshake timeout", VpnSession.describe(e));
            assertTrue(hellos.get(10, TimeUnit.SECONDS) >= 2, "the HELLO is sent again each second");
        }
    }

    @Test
    void configValues() {
        byte[] config = "\u0002\u0001address=10.77.0.2/20\ngateway = 10.77.0.1\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("10.77.0.2/20", VpnSession.configValue(config, config.length, "address"));
        assertEquals("10.77.0.1", VpnSession.configValue(config, config.length, "gateway"));
        assertEquals("", VpnSession.configValue(config, config.length, "mtu"));
    }

    private static void send(DTLSTransport dtls, byte type, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[1 + body.length];
        b[0] = type;
        System.arraycopy(body, 0, b, 1, body.length);
        dtls.send(b, 0, b.length);
    }

    private static void send(DTLSTransport dtls, byte type, byte version, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[2 + body.length];
        b[0] = type;
        b[1] = version;
        System.arraycopy(body, 0, b, 2, body.length);
        dtls.send(b, 0, b.length);
    }
}

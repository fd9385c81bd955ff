package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.Provider;
import java.time.Duration;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.testsupport.Allocations;

/**
 * Steady-state sending and receiving allocate nothing of their own: per record, the sending thread
 * and the server's receive thread allocate no more than the JCA cipher itself does for one AEAD
 * operation (its parameter object and whatever its provider allocates in {@code init}).
 *
 * <p>Each side of each comparison is measured as {@link Allocations} does: after a warm-up of
 * {@value #RECORDS} records, the least of {@value #SAMPLES} samples of {@value #RECORDS} records,
 * so that JIT compilation and GC noise in one sample (seen: sending 1217.9 B/record against 1208.0
 * for the cipher alone, one sample each, on a loaded machine) does not count. The module's tests
 * run with the JIT's escape analysis off (its pom), so that every {@code new} allocates: with it on,
 * the JIT at times removed one 24-byte object from the cipher alone and not from the record layer.
 */
class AllocationTest {

    private static final int RECORDS = 30_000;
    private static final int SAMPLES = 3;
    /**
     * The margin per record: 8 B, half the smallest object, so one object of our own per record
     * (16 B at least) always exceeds it. The least samples of both sides agree to 0.1 B per record
     * (seen on a loaded 2-core machine, both backends, every run).
     */
    private static final double SLACK = 8;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} backend")
    @ValueSource(strings = {"jca", "bc"})
    void sendAndReceiveAllocateNoMoreThanTheCipher(String backend) throws Exception {
        assertEquals("false", ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("DoEscapeAnalysis").getValue(), "run with -XX:-DoEscapeAnalysis, as the module's pom does");
        TestPki pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsTransport serverSide = Backends.transport(pki.settings("server"), Backends.byName(backend));
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.byName(backend));
        Counting counting = new Counting();
        Provider provider = Backends.byName(backend).provider();
        double sealCost = cipherCost(provider, true);
        double openCost = cipherCost(provider, false);
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), counting)) {
            Session client = clientSide.connect(server.localAddress(), null, counting, Duration.ofSeconds(10));
            byte[] packet = new byte[1400];
            packet[0] = 0x45;
            double send = Allocations.perCall(RECORDS, RECORDS, SAMPLES, i -> client.send(packet, 0, packet.length));
            Thread rx = thread("dtls-rx-" + server.localAddress().getPort());
            long[] arrived = {0};
            double receive = Allocations.least(SAMPLES, () -> {
                Thread.sleep(300); // what the sends above left in flight is received before the sample starts
                long received0 = counting.received;
                long rx0 = Allocations.allocatedBy(rx);
                for (int i = 0; i < RECORDS; i++) {
                    client.send(packet, 0, packet.length);
                }
                Thread.sleep(300);
                long got = counting.received - received0;
                arrived[0] = Math.max(arrived[0], got);
                // A loaded machine drops datagrams in the kernel, before our receive thread sees them:
                // a sample in which few arrived says too little, and the next one counts.
                return got < RECORDS / 2 ? Double.MAX_VALUE : (double) (Allocations.allocatedBy(rx) - rx0) / got;
            });
            System.out.printf("%s backend: send %.1f B/record (cipher alone %.1f), receive %.1f B/record (cipher alone"
                    + " %.1f); %d of %d records arrived in the best sample%n", backend, send, sealCost, receive,
                    openCost, arrived[0], RECORDS);
            assertTrue(arrived[0] >= RECORDS / 2, "most records arrived in some sample: " + arrived[0] + " at best");
            assertTrue(send <= sealCost + SLACK, "sending allocates " + send + " B/record, the cipher alone " + sealCost);
            assertTrue(receive <= openCost + SLACK, "receiving allocates " + receive + " B/record, the cipher alone " + openCost);
            client.close();
        } finally {
            clientSide.deactivate();
            serverSide.deactivate();
        }
    }

    /**
     * What one AES-128-GCM record costs the JCA, measured with nothing else around it: the shape
     * of a client's record, with the connection ID's 31 bytes of additional data and the inner
     * content type.
     */
    private static double cipherCost(Provider provider, boolean seal) throws Exception {
        Cipher cipher = provider == null ? Cipher.getInstance("AES/GCM/NoPadding")
                : Cipher.getInstance("AES/GCM/NoPadding", provider);
        SecretKeySpec key = new SecretKeySpec(new byte[16], "AES");
        byte[] nonce = new byte[12];
        byte[] aad = new byte[31];
        byte[] in = new byte[1401 + 16];
        byte[] out = new byte[1400 + 64];
        byte[] type = {23};
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce, 0, 12));
        cipher.updateAAD(aad, 0, 31);
        cipher.doFinal(new byte[1401], 0, 1401, in, 0); // a valid record to open, under the all-zero nonce
        return Allocations.perCall(RECORDS, RECORDS, SAMPLES, i -> {
            if (seal) {
                for (int b = 0; b < 8; b++) { // a fresh nonce each time: GCM refuses to encrypt twice under one
                    nonce[11 - b] = (byte) ((i + 1) >>> (8 * b));
                }
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce, 0, 12));
                cipher.updateAAD(aad, 0, 31);
                int n = cipher.update(in, 0, 1400, out, 0);
                cipher.doFinal(type, 0, 1, out, n);
            } else {
                java.util.Arrays.fill(nonce, (byte) 0);
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce, 0, 12));
                cipher.updateAAD(aad, 0, 31);
                cipher.doFinal(in, 0, 1417, out, 0);
            }
        });
    }
    private static Thread thread(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name);
    }

    private static final class Counting implements SessionHandler {
        volatile long received;

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            received++;
        }
    }
}

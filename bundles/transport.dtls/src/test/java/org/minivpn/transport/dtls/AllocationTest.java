package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * Steady-state sending and receiving allocate nothing of their own: per record, the sending thread
 * and the server's receive thread allocate no more than the JCA cipher itself does for one AEAD
 * operation (its parameter object and whatever its provider allocates in {@code init}).
 */
class AllocationTest {

    private static final int RECORDS = 30_000;
    /**
     * Slack per record for noise: 8 B, plus 1 % of what the cipher itself allocates, since the
     * measurement of a provider that allocates kilobytes per record wobbles by tens of bytes between
     * runs on a loaded machine (seen: 24 B over 4296 B). Still below any object of our own per record.
     */
    private static final double SLACK = 8;
    private static final double NOISE = 0.01;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} backend")
    @ValueSource(strings = {"jca", "bc"})
    void sendAndReceiveAllocateNoMoreThanTheCipher(String backend) throws Exception {
        TestPki pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsTransport serverSide = Backends.transport(pki.settings("server"), Backends.byName(backend));
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.byName(backend));
        Counting counting = new Counting();
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Provider provider = Backends.byName(backend).provider();
        double sealCost = cipherCost(provider, true);
        double openCost = cipherCost(provider, false);
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), counting)) {
            Session client = clientSide.connect(server.localAddress(), null, counting, Duration.ofSeconds(10));
            byte[] packet = new byte[1400];
            packet[0] = 0x45;
            for (int i = 0; i < 10_000; i++) {
                client.send(packet, 0, packet.length);
            }
            Thread rx = thread("dtls-rx-" + server.localAddress().getPort());
            Thread.sleep(300);
            long received0 = counting.received;
            long rx0 = mx.getThreadAllocatedBytes(rx.getId());
            long tx0 = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < RECORDS; i++) {
                client.send(packet, 0, packet.length);
            }
            double send = (double) (mx.getCurrentThreadAllocatedBytes() - tx0) / RECORDS;
            Thread.sleep(300);
            long got = counting.received - received0;
            double receive = (double) (mx.getThreadAllocatedBytes(rx.getId()) - rx0) / Math.max(1, got);
            System.out.printf("%s backend: send %.1f B/record (cipher alone %.1f), receive %.1f B/record (cipher alone"
                    + " %.1f); %d of %d records arrived%n", backend, send, sealCost, receive, openCost, got, RECORDS);
            assertTrue(got > RECORDS / 2, "most records arrived: " + got);
            assertTrue(send <= sealCost * (1 + NOISE) + SLACK, "sending allocates " + send + " B/record, the cipher alone " + sealCost);
            assertTrue(receive <= openCost * (1 + NOISE) + SLACK, "receiving allocates " + receive + " B/record, the cipher alone " + openCost);
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
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
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
        cipher.doFinal(new byte[1401], 0, 1401, in, 0); // a valid record to open
        long start = 0;
        for (int round = 0; round < 2; round++) {  // the first round warms up
            start = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < RECORDS; i++) {
                if (seal) {
                    nonce[11] = (byte) i;
                    nonce[10] = (byte) (i >> 8);
                    nonce[9] = (byte) (i >> 16);
                    nonce[8] = (byte) (round + 1);
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
            }
        }
        return (double) (mx.getCurrentThreadAllocatedBytes() - start) / RECORDS;
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

package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.PeerInfo;

/**
 * Throughput of 1400-byte records from one sending thread through a client session to a server
 * on loopback, per crypto backend; and of sealing alone, without the network. Not part of the
 * build (the name does not end in Test); run it with
 * {@code mvn -B -o verify -pl bundles/transport.dtls -am -Dtest=DtlsBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class DtlsBenchmark {

    private static final int SIZE = 1400;
    private static final Duration WARMUP = Duration.ofSeconds(3);
    private static final Duration RUN = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} backend")
    @ValueSource(strings = {"jca", "bc"})
    void recordsThroughTheTransport(String backend) throws Exception {
        TestPki pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsTransport serverSide = Backends.transport(pki.settings("server"), Backends.byName(backend));
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.byName(backend));
        Counting counting = new Counting();
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), counting)) {
            Session client = clientSide.connect(server.localAddress(), null, counting, Duration.ofSeconds(10));
            byte[] packet = new byte[SIZE];
            packet[0] = 0x45;
            sendFor(client, packet, WARMUP);
            Thread.sleep(200);
            long received0 = counting.received;
            long start = System.nanoTime();
            long sent = sendFor(client, packet, RUN);
            double seconds = (System.nanoTime() - start) / 1e9;
            Thread.sleep(200);
            long received = counting.received - received0;
            System.out.printf("BENCHMARK transport %-3s %s: sent %,.0f records/s (%.2f Gbit/s), delivered %,.0f records/s"
                    + " (%.2f Gbit/s of payload), %.1f%% lost on loopback%n", backend, client.cipherSuite(),
                    sent / seconds, sent * SIZE * 8 / seconds / 1e9, received / seconds, received * SIZE * 8 / seconds / 1e9,
                    100.0 * (sent - received) / sent);
            assertTrue(received > 0);
            client.close();
        } finally {
            clientSide.deactivate();
            serverSide.deactivate();
        }
    }

    @ParameterizedTest(name = "{0} backend")
    @ValueSource(strings = {"jca", "bc"})
    void sealingAlone(String backend) throws Exception {
        PeerInfo nobody = new PeerInfo("nobody", List.of(new TestPki(dir, "Test CA").ca));
        SessionKeys keys = new SessionKeys(org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuites.Aead.AES_128_GCM, new byte[16], new byte[4], new byte[16], new byte[4],
                new byte[8], new byte[0], nobody);
        RecordLayer record = new RecordLayer(keys, Backends.byName(backend).provider(), 0);
        byte[] packet = new byte[SIZE];
        byte[] out = new byte[SIZE + record.overhead()];
        long records = 0;
        long end = System.nanoTime() + WARMUP.toNanos();
        while (System.nanoTime() < end) {
            record.seal(RecordLayer.APPLICATION_DATA, packet, 0, SIZE, out, 0);
        }
        long start = System.nanoTime();
        end = start + RUN.toNanos();
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                record.seal(RecordLayer.APPLICATION_DATA, packet, 0, SIZE, out, 0);
            }
            records += 1000;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BENCHMARK sealing   %-3s AES-128-GCM (%s): %,.0f records/s, %.2f Gbit/s, one thread%n",
                backend, record.providerName(), records / seconds, records * SIZE * 8 / seconds / 1e9);
    }

    private static long sendFor(Session client, byte[] packet, Duration duration) throws Exception {
        long sent = 0;
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            for (int i = 0; i < 100; i++) {
                client.send(packet, 0, packet.length);
            }
            sent += 100;
        }
        return sent;
    }

    private static final class Counting implements SessionHandler {
        volatile long received;

        @Override
        public void received(Session session, byte[] buf, int off, int len) {
            received++;
        }
    }
}

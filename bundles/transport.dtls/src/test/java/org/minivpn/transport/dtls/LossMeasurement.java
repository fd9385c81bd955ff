package org.minivpn.transport.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.TransportServer;

/**
 * Not a test: handshake times through a lossy link, e.g. {@code java ... LossMeasurement 0.3 20}; or
 * split in two processes (e.g. two network namespaces with nft dropping between them):
 * {@code LossMeasurement serve DIR ADDRESS PORT} and {@code LossMeasurement connect DIR HOST PORT RUNS}.
 */
final class LossMeasurement {

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve") || args[0].equals("connect")) {
            split(args);
            return;
        }
        double loss = Double.parseDouble(args[0]);
        int runs = Integer.parseInt(args[1]);
        Path dir = Files.createTempDirectory("loss");
        TestPki pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false, "localhost", "127.0.0.1");
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsSettings d = pki.settings("server");
        DtlsSettings ten = new DtlsSettings(d.ca(), d.cert(), d.key(), d.crl(), d.pins(), Duration.ofSeconds(10),
                d.handshakeThreads(), d.maxHandshakes(), d.idleTimeout(), d.maxPacketSize());
        DtlsTransport serverSide = Backends.transport(ten, Backends.jca());
        DtlsTransport clientSide = Backends.transport(pki.settings("alice"), Backends.jca());
        List<Long> times = new ArrayList<>();
        int failed = 0;
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Inbox.echoing())) {
            for (int i = 0; i < runs; i++) {
                try (LossyLink link = new LossyLink(server.localAddress(), loss, Long.getLong("seed", 1000) + i)) {
                    long start = System.nanoTime();
                    try {
                        Session s = clientSide.connect(link.address(), "localhost", Inbox.collecting(), Duration.ofSeconds(30));
                        times.add((System.nanoTime() - start) / 1_000_000);
                        s.close();
                    } catch (Exception e) {
                        failed++;
                        System.out.println("run " + i + " failed: " + e.getMessage());
                    }
                }
            }
        }
        Collections.sort(times);
        System.out.println("loss " + loss + ": " + times.size() + " ok, " + failed + " failed; ms " + times);
        clientSide.deactivate();
        serverSide.deactivate();
        System.exit(0);
    }

    private static void split(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("serve")) {
            TestPki pki = new TestPki(dir, "Test CA");
            pki.issue("server", TestPki.Usage.SERVER, false, "localhost", args[2]);
            pki.issue("alice", TestPki.Usage.CLIENT, false);
            DtlsSettings d = pki.settings("server");
            DtlsSettings ten = new DtlsSettings(d.ca(), d.cert(), d.key(), d.crl(), d.pins(), Duration.ofSeconds(10),
                    d.handshakeThreads(), d.maxHandshakes(), d.idleTimeout(), d.maxPacketSize());
            DtlsTransport serverSide = Backends.transport(ten, Backends.jca());
            serverSide.listen(new InetSocketAddress(InetAddress.getByName(args[2]), Integer.parseInt(args[3])), Inbox.echoing());
            System.out.println("serving");
            Thread.sleep(600_000);
            return;
        }
        DtlsTransport clientSide = Backends.transport(new DtlsSettings(dir.resolve("ca.crt"), dir.resolve("alice.crt"),
                dir.resolve("alice.key"), dir.resolve("crl.pem"), List.of(), Duration.ofSeconds(5), 2, 64,
                Duration.ofSeconds(60), 1500), Backends.jca());
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[2]), Integer.parseInt(args[3]));
        List<Long> times = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < Integer.parseInt(args[4]); i++) {
            long start = System.nanoTime();
            try {
                Session s = clientSide.connect(server, args[2], Inbox.collecting(), Duration.ofSeconds(20));
                times.add((System.nanoTime() - start) / 1_000_000);
                s.close();
            } catch (Exception e) {
                failed++;
                System.out.println("run " + i + " failed after " + (System.nanoTime() - start) / 1_000_000 + " ms: " + e.getMessage());
            }
        }
        Collections.sort(times);
        System.out.println(times.size() + " ok, " + failed + " failed; ms " + times);
        System.exit(0);
    }
}

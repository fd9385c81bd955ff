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

/** Not a test: handshake times through a lossy link, e.g. java ... LossMeasurement 0.3 20. */
final class LossMeasurement {

    public static void main(String[] args) throws Exception {
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
}

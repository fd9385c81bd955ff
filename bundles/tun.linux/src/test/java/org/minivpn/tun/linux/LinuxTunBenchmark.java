package org.minivpn.tun.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunSettings;
import org.minivpn.testsupport.Needs;

/**
 * Packets per second through the Linux backend, not a timed test: runs only with
 * {@code -Dminivpn.bench=true}, e.g.
 * {@code mvn -B -o verify -pl bundles/tun.linux -am -Dminivpn.bench=true -Dtest=LinuxTunBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Each packet is an ICMP echo request written to the device inside a fresh network namespace;
 * the kernel answers it and the reply is read back, so every packet is one write and one read
 * through JNA plus the kernel's own IPv4/ICMP work. Two shapes: ping-pong (one packet in flight,
 * one thread) and streaming (a writer thread and a reader thread).
 */
@EnabledIfSystemProperty(named = "minivpn.bench", matches = "true")
class LinuxTunBenchmark {

    private static final InetAddress LOCAL = IpPrefix.parseAddress("10.210.9.1");
    private static final InetAddress PEER = IpPrefix.parseAddress("10.210.9.2");
    private static final long SECONDS = 3;

    @Test
    void packetsPerSecond() throws Exception {
        Needs.root("ip", "/dev/net/tun");
        try (NetNamespace ns = NetNamespace.create();
             LinuxTunDevice d = ns.inside(() -> LinuxTunDevice.create("mvbench0", LinuxTunDevice.DEV_NET_TUN, () -> { }))) {
            d.configure(new TunSettings(1500, List.of(IpPrefix.parse("10.210.9.1/24"))));
            LinuxTunDeviceTest.drain(d);
            pingPong(d, Packets.echoRequest(PEER, LOCAL, 1, 1, 56), 2); // warm-up
            for (int payload : new int[] {56, 1400}) {
                byte[] request = Packets.echoRequest(PEER, LOCAL, 1, 1, payload);
                double pp = pingPong(d, request, SECONDS);
                double[] stream = streaming(d, request, SECONDS);
                System.out.printf(Locale.ROOT, "BENCH %4d-byte packets: ping-pong %,.0f packets/s (1 write + 1 read each);"
                        + " streaming %,.0f writes/s, %,.0f reads/s%n", request.length, pp, stream[0], stream[1]);
            }
        }
    }

    /** Round trips per second with one packet in flight. */
    private static double pingPong(LinuxTunDevice d, byte[] request, long seconds) throws IOException {
        byte[] buf = new byte[2000];
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = System.nanoTime();
        long count = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                d.write(request, 0, request.length);
                if (d.read(buf, 0, buf.length, 1000) < 0) {
                    throw new IOException("no echo reply within 1 s");
                }
            }
            count += 1000;
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }

    /** Writes per second and reads per second with a writer and a reader thread. */
    private static double[] streaming(LinuxTunDevice d, byte[] request, long seconds) throws Exception {
        AtomicLong writes = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Thread writer = new Thread(() -> {
            long n = 0;
            try {
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 100; i++) {
                        d.write(request, 0, request.length);
                    }
                    n += 100;
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            writes.set(n);
        }, "bench-writer");
        byte[] buf = new byte[2000];
        long start = System.nanoTime();
        writer.start();
        long reads = 0;
        while (true) {
            if (d.read(buf, 0, buf.length, 200) > 0) {
                reads++;
            } else if (System.nanoTime() > end) {
                break;
            }
        }
        writer.join(5000);
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new double[] {writes.get() / elapsed, reads / elapsed};
    }
}

package org.minivpn.tun.linux;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunSettings;
import org.minivpn.testsupport.Needs;

/**
 * How many TCP segments each write to the kernel carries when interleaved flows come through the
 * device, with one held packet (the behaviour before {@link FlowTable}) and with a table of
 * {@link FlowTable#FLOWS}. Not a timed test: runs only with {@code -Dminivpn.bench=true}, e.g.
 * {@code mvn -B -o verify -pl bundles/tun.linux -am -Dminivpn.bench=true -Dtest=FlowMergeBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Each batch is 64 segments of 1400 bytes (IPv4, TCP with timestamps), the flows taking turns as
 * a relay's receive batch brings them, then a flush, as the relay calls it when its batch is done.
 * Writes are counted by the kernel ({@code rx_packets} of the interface), inside a fresh network
 * namespace; the segments go to a closed port of the device's own address, so the kernel answers
 * each write it takes with one reset, which nobody reads.
 */
@EnabledIfSystemProperty(named = "minivpn.bench", matches = "true")
class FlowMergeBenchmark {

    private static final InetAddress LOCAL = IpPrefix.parseAddress("10.210.8.1");
    private static final InetAddress PEER = IpPrefix.parseAddress("10.210.8.2");
    private static final int BATCH = 64;
    private static final int PAYLOAD = 1348; // 20 + 32 + 1348 = 1400 bytes
    private static final long SECONDS = 3;

    @Test
    void segmentsPerWrite() throws Exception {
        Needs.root("ip", "/dev/net/tun");
        try (NetNamespace ns = NetNamespace.create()) {
            for (int flows : new int[] {1, 4}) {
                double[] before = run(ns, flows, 1);
                double[] after = run(ns, flows, FlowTable.FLOWS);
                System.out.printf(Locale.ROOT, "BENCH %d TCP flow(s), batches of %d segments of 1400 bytes:"
                        + " %.2f segments per write with one held packet, %.2f with %d flows held"
                        + " (%,.0f and %,.0f segments/s)%n", flows, BATCH, before[0], after[0], FlowTable.FLOWS,
                        before[1], after[1]);
            }
        }
    }

    /** Segments per write and segments per second, {@code flows} interleaved, {@code slots} flows held. */
    private static double[] run(NetNamespace ns, int flows, int slots) throws Exception {
        try (LinuxTunDevice d = ns.inside(() -> LinuxTunDevice.create("mvflow0", LinuxTunDevice.DEV_NET_TUN, true,
                slots, () -> { }))) {
            d.configure(new TunSettings(1400, List.of(IpPrefix.parse("10.210.8.1/24"))));
            byte[][] batch = new byte[BATCH][];
            for (int i = 0; i < BATCH; i++) {
                int flow = i % flows;
                batch[i] = FlowTableTest.segment(PEER, LOCAL, 40000 + flow, i / flows, 0x10, PAYLOAD);
            }
            send(d, batch, 1); // warm-up
            long writesBefore = rxPackets(ns, d);
            long start = System.nanoTime();
            long batches = send(d, batch, SECONDS);
            double elapsed = (System.nanoTime() - start) / 1e9;
            long writes = rxPackets(ns, d) - writesBefore;
            long segments = batches * BATCH;
            if (d.droppedWrites() > 0) {
                System.out.println("BENCH note: the kernel refused " + d.droppedWrites() + " writes");
            }
            return new double[] {(double) segments / writes, segments / elapsed};
        }
    }

    private static long send(LinuxTunDevice d, byte[][] batch, long seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long batches = 0;
        while (System.nanoTime() - end < 0) {
            for (int round = 0; round < 100; round++) {
                for (byte[] p : batch) {
                    d.write(p, 0, p.length);
                }
                d.flush();
            }
            batches += 100;
        }
        return batches;
    }

    /** What the kernel counts as received on the interface: one per write it took. */
    private static long rxPackets(NetNamespace ns, LinuxTunDevice d) throws Exception {
        return Long.parseLong(ns.run("cat", "/sys/class/net/" + d.name() + "/statistics/rx_packets").trim());
    }
}

package org.minivpn.relay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minivpn.api.IpPrefix;

/**
 * What one write of the lease file costs with 10,000 and 50,000 leases ({@link Leases} writes it at
 * most once a second, and only after a change): the pool's scan under its lock ({@link AddressPool#leases}),
 * then the file written off every relay thread. Prints the time of each; asserts nothing. Not part of
 * the build (the name does not end in Test); run it with
 * {@code mvn -B -o verify -pl bundles/relay -am -Dtest=LeasesBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class LeasesBenchmark {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} leases")
    @ValueSource(ints = {10_000, 50_000})
    void scanThenWrite(int n) throws Exception {
        AddressPool<Object> pool = new AddressPool<>(IpPrefix.parse(n <= 16_000 ? "10.64.0.0/18" : "10.64.0.0/16"), null,
                Map.of(), Duration.ofSeconds(60), System::nanoTime);
        for (int i = 0; i < n; i++) {
            pool.allocate("CN=client-" + i + ",O=MiniVPN", "x");
        }
        Path file = dir.resolve("leases");
        long scan = 0;
        long write = 0;
        int runs = 20;
        for (int r = 0; r < 2 * runs; r++) { // the first half warms up
            long t0 = System.nanoTime();
            List<Leases.Lease> leases = pool.leases();
            long t1 = System.nanoTime();
            Leases.write(file, leases);
            long t2 = System.nanoTime();
            if (r >= runs) {
                scan += t1 - t0;
                write += t2 - t1;
            }
        }
        System.out.printf("Leases, %,d of them: %,d us for the pool's scan (under its lock), %,d us to write %,d KiB%n",
                n, scan / runs / 1000, write / runs / 1000, java.nio.file.Files.size(file) / 1024);
    }
}

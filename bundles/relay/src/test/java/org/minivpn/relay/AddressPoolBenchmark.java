package org.minivpn.relay;

import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minivpn.api.IpPrefix;

/**
 * The cost of one client leaving and one arriving ({@link AddressPool#release} then
 * {@link AddressPool#allocate}) with 10,000 and 50,000 clients holding addresses, half of the
 * arrivals being clients that come back. Prints nanoseconds per operation; asserts nothing. Not part
 * of the build (the name does not end in Test); run it with
 * {@code mvn -B -o verify -pl bundles/relay -am -Dtest=AddressPoolBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class AddressPoolBenchmark {

    private long now = 1_000_000_000_000L;

    @ParameterizedTest(name = "{0} clients")
    @ValueSource(ints = {10_000, 50_000})
    void releaseThenAllocate(int clients) {
        IpPrefix prefix = IpPrefix.parse(clients <= 16_000 ? "10.64.0.0/18" : "10.64.0.0/16");
        AddressPool<Object> pool = new AddressPool<>(prefix, null, Map.of(), Duration.ofSeconds(60), () -> now);
        String[] holder = new String[pool.clientAddresses() + 3];
        Object[] owner = new Object[holder.length];
        for (int i = 0; i < clients; i++) {
            String id = "client-" + i;
            int slot = pool.allocate(id, id);
            holder[slot] = id;
            owner[slot] = id;
        }
        SplittableRandom random = new SplittableRandom(7);
        int next = clients;
        for (int round = 0; round < 2; round++) { // the first round warms up
            int ops = 20_000;
            long start = System.nanoTime();
            for (int op = 0; op < ops; op++) {
                now += 10_000_000L; // 10 ms between events: a quarantine holds 6,000 releases
                int slot;
                do {
                    slot = 2 + random.nextInt(holder.length - 3);
                } while (holder[slot] == null);
                pool.release(slot, owner[slot]);
                String id = random.nextBoolean() ? holder[slot] : "client-" + next++;
                Object o = new Object();
                holder[slot] = null;
                int got = pool.allocate(id, o);
                if (got < 0) {
                    throw new AssertionError("no address for " + id + ": " + got);
                }
                holder[got] = id;
                owner[got] = o;
            }
            long nanos = System.nanoTime() - start;
            if (round == 1) {
                System.out.printf("AddressPool, %,d clients in a pool of %,d: %,d ns per release + allocate%n", clients,
                        pool.clientAddresses(), nanos / ops);
            }
        }
    }
}

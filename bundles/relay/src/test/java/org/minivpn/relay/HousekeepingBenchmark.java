package org.minivpn.relay;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the server's control plane costs with 10,000 and 50,000 clients: admitting a burst of them
 * ({@link Admission#opened} and an address each at HELLO), then one housekeeping round
 * ({@link ServerControl#housekeeping}, twice a second) while every client answers; and, for
 * comparison, one list of every session ({@link Admission#sessions}, what vpn:sessions and the web
 * chart read). Prints
 * nanoseconds per operation; asserts nothing. Not part of the build (the name does not end in Test);
 * run it with {@code mvn -B -o verify -pl bundles/relay -am -Dtest=HousekeepingBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class HousekeepingBenchmark {

    private static final long SECOND = 1_000_000_000L;

    @ParameterizedTest(name = "{0} clients")
    @ValueSource(ints = {10_000, 50_000})
    void admitThenKeepAlive(int clients) {
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING); // a line per client costs more than the rest
        ServerSettings settings = TestServers.settings(clients <= 16_000 ? "10.64.0.0/18" : "10.64.0.0/16");
        AddressPool<ServerPeer> pool = new AddressPool<>(settings.pool4(), null, Map.of(), settings.addressQuarantine(),
                System::nanoTime);
        Admission admission = new Admission(pool, settings, () -> { });
        ServerControl control = new ServerControl(admission, settings);
        ServerPeer[] peers = new ServerPeer[clients];
        long now = 1_000 * SECOND;
        byte[] hello = Wire.hello();
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            StubSession s = new StubSession("client-" + i, 1 + i % 65000);
            ServerPeer p = new ServerPeer(s);
            p.lastSeenNanos = now;
            s.attach(p);
            admission.opened(p);
            control.received(p, hello, 0, hello.length);
            peers[i] = p;
        }
        long admit = System.nanoTime() - start;
        int rounds = 0;
        long housekeeping = 0;
        for (int second = 0; second < 180; second++) {
            for (int half = 0; half < 2; half++) {
                now += SECOND / 2;
                long t = System.nanoTime();
                control.housekeeping(now);
                if (second >= 60) { // the first minute warms up
                    housekeeping += System.nanoTime() - t;
                    rounds++;
                }
            }
            for (ServerPeer p : peers) {
                p.lastSeenNanos = now; // every client answers once a second
            }
        }
        long listing = 0;
        for (int r = 0; r < 20; r++) {
            long t = System.nanoTime();
            admission.sessions();
            if (r >= 10) {
                listing += System.nanoTime() - t;
            }
        }
        System.out.printf("Server control plane, %,d clients: %,d ns per admission (open + HELLO), %,d ns per"
                + " housekeeping round (%,d rounds), %,d us per list of every session (vpn:sessions; the web"
                + " chart's once a second)%n", clients, admit / clients, housekeeping / rounds, rounds, listing / 10_000);
    }
}

package org.minivpn.transport.dtls;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the server's session tables ({@link Peers}) cost with 10,000 and 50,000 sessions: a burst of
 * sessions opened, one session closing and another opening while the rest stay, and the idle check
 * of the receive thread's tick (five times a second) while every client is heard from, beside a walk
 * of every session, which is what that check did before it kept its sessions in {@link IdleOrder}. Prints
 * nanoseconds per operation; asserts nothing. Not part of the build (the name does not end in Test);
 * run it with {@code mvn -B -o verify -pl bundles/transport.dtls -am -Dtest=PeersBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class PeersBenchmark {

    private static final long SECOND = 1_000_000_000L;

    @ParameterizedTest(name = "{0} sessions")
    @ValueSource(ints = {10_000, 50_000})
    void openCloseAndTick(int n) throws Exception {
        PeersTest.Sessions make = new PeersTest.Sessions();
        for (int round = 0; round < 2; round++) { // the first round warms up
            Peers peers = new Peers();
            ServerSession[] sessions = new ServerSession[n];
            for (int i = 0; i < n; i++) {
                sessions[i] = make.session(i, 100 + i);
            }
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                peers.add(sessions[i]);
            }
            long burst = System.nanoTime() - start;
            int churn = 2000;
            start = System.nanoTime();
            for (int i = 0; i < churn; i++) {
                peers.remove(sessions[i]);
                peers.add(sessions[i]);
            }
            long swap = System.nanoTime() - start;
            long now = System.nanoTime();
            long ticks = 0;
            int count = 0;
            long walks = 0;
            for (int t = 0; t < 5 * 240; t++) { // four minutes of ticks, 200 ms apart: each session is filed again
                now += SECOND / 5;
                for (int i = t % 5; i < n; i += 5) {
                    sessions[i].lastReceive = now; // each client heard from once a second
                }
                long t1 = System.nanoTime();
                int idle = 0;
                for (ServerSession s = peers.nextIdle(now, 180 * SECOND); s != null; s = peers.nextIdle(now, 180 * SECOND)) {
                    idle++;
                    peers.remove(s);
                }
                ticks += System.nanoTime() - t1;
                count++;
                if (t % 10 == 0) { // the idle check as it was: a copy and a walk of every session
                    long t2 = System.nanoTime();
                    for (ServerSession s : peers.sessions()) {
                        idle += now - s.lastReceive > 180 * SECOND ? 1 : 0;
                    }
                    walks += System.nanoTime() - t2;
                }
                if (idle != 0) {
                    throw new AssertionError(idle + " sessions idle");
                }
            }
            if (round == 1) {
                System.out.printf("Peers, %,d sessions: %,d ns per session of a burst, %,d ns per close + open, %,d ns"
                        + " per idle check (%,d ns for a walk of every session)%n", n, burst / n, swap / (2 * churn),
                        ticks / count, walks / (count / 10));
            }
        }
    }
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What {@link Admission} keeps beside its sessions so that nothing walks all of them: each
 * identity's sessions (for the one-session-per-identity rule) and the counts {@code vpn:status} shows.
 */
class AdmissionIndexTest {

    private final ServerSettings settings = TestServers.settings("10.64.0.0/18");
    private final AddressPool<ServerPeer> pool = new AddressPool<>(settings.pool4(), null, Map.of(),
            settings.addressQuarantine(), System::nanoTime);
    private final Admission admission = new Admission(pool, settings, () -> { });

    private ServerPeer open(String identity, int port, boolean hello) {
        StubSession s = new StubSession(identity, port);
        ServerPeer p = new ServerPeer(s);
        s.attach(p);
        admission.opened(p);
        if (hello) {
            p.hello = true;
            assertTrue(admission.assign(p, 0));
        }
        return p;
    }

    @Test
    void amongThousandsANewSessionReplacesOnlyTheSessionOfItsOwnIdentity() {
        List<ServerPeer> first = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            first.add(open("c" + i, 1 + i, true));
        }
        assertEquals(new Admission.Counts(3000, 3000), admission.counts());
        List<ServerPeer> second = new ArrayList<>();
        for (int i = 0; i < 3000; i += 3) {
            ServerPeer again = open("c" + i, 10_000 + i, false);
            second.add(again);
            assertFalse(admission.admits(first.get(i)), "c" + i + "'s old session is replaced");
            assertEquals(first.get(i).address4, again.address4, "and hands its address over");
        }
        for (int i = 0; i < 3000; i++) {
            assertEquals(i % 3 != 0, admission.admits(first.get(i)), "c" + i + ": only its own identity replaces it");
        }
        assertEquals(new Admission.Counts(3000, 3000), admission.counts(), "a handover moves an address, holds no second one");
        ServerPeer anon1 = open("", 20_000, true);
        ServerPeer anon2 = open("", 20_001, true);
        assertTrue(admission.admits(anon1) && admission.admits(anon2), "\"\" is nobody: never replaced");
        ServerPeer plain = open("plain", 20_002, false);
        assertEquals(new Admission.Counts(3003, 3002), admission.counts(), "a plain peer holds nothing before its first packet");
        for (ServerPeer p : second) {
            admission.closed(p, "goodbye");
        }
        admission.closed(plain, "goodbye");
        assertEquals(new Admission.Counts(2002, 2002), admission.counts());
        ServerPeer back = open("c0", 30_000, false);
        assertTrue(admission.admits(back), "an identity whose sessions all ended is admitted afresh");
        admission.clear();
        assertEquals(new Admission.Counts(0, 0), admission.counts());
    }
}

package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;

/** The rules by which the server hands out tunnel addresses, on a clock the test moves. */
class AddressPoolTest {

    private static final long SECOND = 1_000_000_000L;

    private long now = 1_000 * SECOND;

    /** A /29: clients get hosts .2 to .6 (slots 2 to 6), five addresses. */
    private AddressPool<String> pool(Map<String, String> statics) {
        Map<String, java.net.InetAddress> st = new java.util.HashMap<>();
        statics.forEach((k, v) -> st.put(k, IpPrefix.parseAddress(v)));
        return new AddressPool<>(IpPrefix.parse("10.7.0.0/29"), null, st, Duration.ofSeconds(60), () -> now);
    }

    private AddressPool<String> pool() {
        return pool(Map.of());
    }

    @Test
    void aFreshPoolHandsOutTheLowestAddressesFirst() {
        AddressPool<String> p = pool();
        assertEquals(2, p.allocate("a", "a"));
        assertEquals(3, p.allocate("b", "b"));
        assertEquals(5, p.clientAddresses());
        assertSame("a", p.owner4(p.address4(2)));
        assertNull(p.owner4(p.address4(4)), "a free address has no owner");
    }

    @Test
    void anIdentityGetsItsPreviousAddressBackAtOnce() {
        AddressPool<String> p = pool();
        assertEquals(2, p.allocate("alice", "alice-1"));
        assertEquals(3, p.allocate("bob", "bob"));
        p.release(2, "alice-1");
        assertEquals(2, p.allocate("alice", "alice-2"), "its own address, even within the quarantine");
        assertSame("alice-2", p.owner4(p.address4(2)));
    }

    @Test
    void anIdentityGetsItsPreviousAddressBackLongAfterWhenNobodyTookIt() {
        AddressPool<String> p = pool();
        assertEquals(2, p.allocate("alice", "alice"));
        p.release(2, "alice");
        now += 3600 * SECOND;
        assertEquals(3, p.allocate("bob", "bob"), "others get a never-used address before a released one");
        assertEquals(2, p.allocate("alice", "alice"));
    }

    @Test
    void anAddressFreedByOneIdentityGoesToNoOtherDuringTheQuarantine() {
        AddressPool<String> p = pool();
        for (int i = 0; i < 5; i++) {
            assertEquals(2 + i, p.allocate("c" + i, ("c" + i).intern()));
        }
        assertEquals(AddressPool.EXHAUSTED, p.allocate("late", "late"), "every address is in use");
        p.release(2, "c0");
        assertEquals(AddressPool.QUARANTINED, p.allocate("late", "late"), "only a quarantined address is free");
        now += 59 * SECOND;
        assertEquals(AddressPool.QUARANTINED, p.allocate("late", "late"), "still quarantined after 59 s");
        now += SECOND;
        assertEquals(2, p.allocate("late", "late"), "free for others after 60 s");
    }

    @Test
    void freedAddressesAreReusedLeastRecentlyReleasedFirst() {
        AddressPool<String> p = pool();
        for (int i = 0; i < 5; i++) {
            p.allocate("c" + i, ("c" + i).intern());
        }
        p.release(4, "c2"); // released first
        now += SECOND;
        p.release(2, "c0");
        now += SECOND;
        p.release(6, "c4"); // released last
        now += 120 * SECOND;
        assertEquals(4, p.allocate("x", "x"));
        assertEquals(2, p.allocate("y", "y"));
        assertEquals(6, p.allocate("z", "z"));
    }

    @Test
    void aStaticAddressIsOnlyEverItsIdentitys() {
        AddressPool<String> p = pool(Map.of("bob", "10.7.0.2"));
        for (int i = 0; i < 4; i++) {
            assertEquals(3 + i, p.allocate("c" + i, ("c" + i).intern()), "the others skip bob's address");
        }
        assertEquals(AddressPool.EXHAUSTED, p.allocate("late", "late"), "bob's free static address is not given out");
        assertEquals(2, p.allocate("bob", "bob-1"));
        assertEquals(AddressPool.STATIC_IN_USE, p.allocate("bob", "bob-2"), "one holder at a time");
        p.release(2, "bob-1");
        assertEquals(2, p.allocate("bob", "bob-2"), "a static address has no quarantine for its identity");
    }

    @Test
    void onlyTheHolderReleasesAnAddress() {
        AddressPool<String> p = pool();
        assertEquals(2, p.allocate("alice", "alice-1"));
        p.release(2, "alice-0");
        assertSame("alice-1", p.owner4(p.address4(2)), "a stale holder cannot free it");
        p.release(2, "alice-1");
        assertNull(p.owner4(p.address4(2)));
    }

    @Test
    void anUnauthenticatedPeerIsNobodyAndGetsNothingBack() {
        AddressPool<String> p = pool();
        assertEquals(2, p.allocate("", "first"));
        p.release(2, "first");
        assertEquals(3, p.allocate("", "second"), "the identity \"\" is not remembered");
    }

    @Test
    void everyAddressOfABigPoolIsHandedOutOnceAndComesBackAfterTheQuarantine() {
        AddressPool<String> p = new AddressPool<>(IpPrefix.parse("10.7.0.0/22"), null, Map.of(), Duration.ofSeconds(60),
                () -> now);
        int n = p.clientAddresses();
        boolean[] seen = new boolean[n + 3];
        for (int i = 0; i < n; i++) {
            int slot = p.allocate("c" + i, ("c" + i).intern());
            assertEquals(false, slot < 0 || seen[slot], "slot " + slot + " for c" + i);
            seen[slot] = true;
        }
        assertEquals(AddressPool.EXHAUSTED, p.allocate("late", "late"));
        for (int i = 0; i < n; i++) {
            p.release(i + 2, ("c" + i).intern());
        }
        assertEquals(AddressPool.QUARANTINED, p.allocate("late", "late"));
        now += 61 * SECOND;
        assertEquals(2, p.allocate("late", "late"), "the one released longest ago");
    }

    @Test
    void aNegativeQuarantineIsRefusedWithAdvice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AddressPool<>(
                IpPrefix.parse("10.7.0.0/24"), null, Map.of(), Duration.ofSeconds(-1), () -> now));
        assertEquals("address.quarantine.seconds must not be negative: use e.g. 60", e.getMessage());
    }

    private static int v4(String a) {
        return AddressPool.toInt(IpPrefix.parseAddress(a));
    }

    /** A plain peer asks for the address it sends from: the same rules as for allocate. */
    @Test
    void aRequestedAddressIsGivenOnlyWhenItIsAFreeClientAddressOfThePool() {
        AddressPool<String> p = pool(Map.of("bob", "10.7.0.6"));
        assertEquals(AddressPool.NOT_IN_POOL, p.request(v4("192.0.2.3"), "plain", "x"), "outside the pool");
        assertEquals(AddressPool.NOT_IN_POOL, p.request(v4("10.7.0.0"), "plain", "x"), "the network address");
        assertEquals(AddressPool.NOT_IN_POOL, p.request(v4("10.7.0.1"), "plain", "x"), "the server's address");
        assertEquals(AddressPool.NOT_IN_POOL, p.request(v4("10.7.0.7"), "plain", "x"), "the broadcast address");
        assertEquals(AddressPool.RESERVED, p.request(v4("10.7.0.6"), "plain", "x"), "bob's static address");
        assertEquals(2, p.allocate("alice", "alice"));
        assertEquals(AddressPool.IN_USE, p.request(v4("10.7.0.2"), "plain", "x"), "alice holds it");
        assertEquals(4, p.request(v4("10.7.0.4"), "plain", "plain-1"));
        assertSame("plain-1", p.owner4(v4("10.7.0.4")));
        assertEquals(3, p.allocate("carol", "carol"), "allocate skips what a plain peer took");

        p.release(2, "alice");
        assertEquals(AddressPool.QUARANTINED, p.request(v4("10.7.0.2"), "plain", "x"), "alice left it just now");
        assertEquals(AddressPool.QUARANTINED, p.request(v4("10.7.0.2"), "", "x"), "nobody gets it out of quarantine");
        p.release(4, "plain-1");
        assertEquals(4, p.request(v4("10.7.0.4"), "plain", "plain-2"), "its own address back at once");
        now += 61 * SECOND;
        assertEquals(2, p.request(v4("10.7.0.2"), "plain2", "y"), "after the quarantine anyone may have it");
    }
}

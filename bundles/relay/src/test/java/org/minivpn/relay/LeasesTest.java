package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.IpPrefix;

/** The lease file and what a pool restored from it grants: OpenVPN's ifconfig-pool-persist, with quarantine. */
class LeasesTest {

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private AddressPool<Object> pool() {
        return new AddressPool<>(IpPrefix.parse("10.7.0.0/24"), null, Map.of("carol", IpPrefix.parseAddress("10.7.0.50")),
                Duration.ofSeconds(60), clock::get);
    }

    private static int a(String address) {
        return AddressPool.toInt(IpPrefix.parseAddress(address));
    }

    @Test
    void theFileIsPrivateAndReadsBackWhatWasWrittenSkippingDamagedLines() throws Exception {
        Path f = dir.resolve("run/leases");
        Leases.write(f, List.of(new Leases.Lease("alice", a("10.7.0.2")), new Leases.Lease("o=x,cn=bob", a("10.7.0.3"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Files.writeString(f, Files.readString(f) + "garbage\nmallory,not-an-address\neve,fd00::7\n\n");
        assertEquals(List.of(new Leases.Lease("alice", a("10.7.0.2")), new Leases.Lease("o=x,cn=bob", a("10.7.0.3"))),
                Leases.read(f));
        assertEquals(List.of(), Leases.read(dir.resolve("none")), "a missing file is an empty one");
        try (var files = Files.list(f.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
    }

    @Test
    void aRestoredPoolKeepsEachAddressForItsClientAndFromEveryoneElse() {
        AddressPool<Object> before = pool();
        Object o = new Object();
        assertEquals(2, before.allocate("alice", o));
        assertEquals(3, before.allocate("bob", o));
        assertEquals(50, before.allocate("carol", o));
        List<Leases.Lease> leases = before.leases();
        assertEquals(List.of(new Leases.Lease("alice", a("10.7.0.2")), new Leases.Lease("bob", a("10.7.0.3"))), leases,
                "held addresses are leases too; static ones are not");

        AddressPool<Object> after = pool(); // the restarted server
        leases.forEach(l -> assertTrue(after.restore(l.identity(), l.address4())));
        assertFalse(after.restore("eve", a("10.7.0.2")), "one lease per address");
        assertFalse(after.restore("eve", a("10.7.0.50")), "not a static address");
        assertEquals(AddressPool.QUARANTINED, after.request(a("10.7.0.3"), "mallory", o), "bob's, asked for by another");
        assertEquals(4, after.allocate("mallory", o), "neither alice's nor bob's");
        assertEquals(3, after.allocate("bob", o), "bob gets his back without asking");
        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        assertEquals(2, after.request(a("10.7.0.2"), "trent", o), "after the quarantine an absent client's lease lapses");
    }
}

package org.minivpn.tls.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A peer with many valid certificates cannot grow the cache past its capacity; the paths used
 * least recently leave first. (That a hit never accepts what validation refuses is
 * ValidatedChainsTest in the DTLS transport, with real certificates.)
 */
class ValidatedChainsBoundTest {

    private static ByteBuffer key(int i) {
        return ByteBuffer.allocate(32).putInt(0, i);
    }

    @Test
    void theCacheHoldsAtMostItsCapacityLeastRecentlyUsedOut() {
        ValidatedChains cache = new ValidatedChains();
        long now = System.currentTimeMillis();
        cache.validated(key(0), List.of());
        cache.validated(key(1), List.of());
        for (int i = 2; i < ValidatedChains.CAPACITY + 100; i++) {
            assertTrue(cache.knows(key(0), now), "path 0 is used all along");
            cache.validated(key(i), List.of());
        }
        assertEquals(ValidatedChains.CAPACITY, cache.size());
        assertTrue(cache.knows(key(0), now));
        assertFalse(cache.knows(key(1), now), "the least recently used path left");
        assertTrue(cache.knows(key(ValidatedChains.CAPACITY + 99), now));
    }
}

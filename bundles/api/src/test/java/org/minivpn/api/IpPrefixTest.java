package org.minivpn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IpPrefixTest {

    @Test
    void parsesIpv4AndIpv6WithAndWithoutPrefix() {
        assertEquals("10.7.0.1/24", IpPrefix.parse("10.7.0.1/24").toString());
        assertEquals(32, IpPrefix.parse("198.18.0.1").prefixLength());
        assertEquals(128, IpPrefix.parse("fd00::1").prefixLength());
        assertEquals(64, IpPrefix.parse(" fd00::1/64 ").prefixLength());
    }

    @Test
    void parseAllSplitsEntriesAtCommasAndWhiteSpace() {
        assertEquals(java.util.List.of(IpPrefix.parse("10.0.0.1/24"), IpPrefix.parse("fd00::1/64"), IpPrefix.parse("10.1.0.0/16")),
                IpPrefix.parseAll("10.0.0.1/24, fd00::1/64", " 10.1.0.0/16 "));
        assertEquals(java.util.List.of(), IpPrefix.parseAll((String[]) null));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parseAll("10.0.0.1/24,nonsense"));
    }

    @Test
    void networkClearsHostBits() {
        assertEquals("10.7.0.0/24", IpPrefix.parse("10.7.0.99/24").network().toString());
        assertEquals("128.0.0.0/1", IpPrefix.parse("200.1.2.3/1").network().toString());
        assertEquals("fd00:0:0:0:0:0:0:0/16", IpPrefix.parse("fd00::1/16").network().toString());
    }

    @Test
    void containsComparesLeadingBitsOfTheSameFamily() {
        IpPrefix pool = IpPrefix.parse("10.7.0.0/24");
        assertTrue(pool.contains(IpPrefix.parseAddress("10.7.0.200")));
        assertFalse(pool.contains(IpPrefix.parseAddress("10.7.1.1")));
        assertFalse(pool.contains(IpPrefix.parseAddress("::1")));
        assertTrue(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parseAddress("1.2.3.4")));
    }

    @Test
    void refusesHostNamesAndBadPrefixesWithAMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("example.org"));
        assertTrue(e.getMessage().contains("not a numeric"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.1/33"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.1/x"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.1"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("fd00::1/129"));
    }
}

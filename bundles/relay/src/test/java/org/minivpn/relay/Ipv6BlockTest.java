package org.minivpn.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The ICMPv6 error a client without tunnel IPv6 writes back for each IPv6 packet it drops. */
class Ipv6BlockTest {

    private static final long MS = 1_000_000L;

    private final Ipv6Block block = new Ipv6Block(null, new Object());
    private long now = 5_000 * MS;

    /** The ICMPv6 checksum of a whole packet verifies when the one's-complement sum is 0xffff. */
    static boolean checksumVerifies(byte[] r, int n) {
        long sum = 0;
        for (int i = 8; i < 40; i += 2) {
            sum += ((r[i] & 0xff) << 8) | (r[i + 1] & 0xff);
        }
        sum += n - 40;
        sum += 58;
        for (int i = 40; i < n; i += 2) {
            sum += ((r[i] & 0xff) << 8) | (i + 1 < n ? r[i + 1] & 0xff : 0);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum == 0xffff;
    }

    @Test
    void theAnswerIsADestinationUnreachableAdministrativelyProhibitedFromTheDestinationToTheSender() {
        byte[] p = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "hello");
        int n = block.answer(p, p.length, now);
        byte[] r = block.reply();
        assertEquals(40 + 8 + p.length, n);
        assertEquals(0x60, r[0] & 0xf0);
        assertEquals(8 + p.length, ((r[4] & 0xff) << 8) | (r[5] & 0xff), "payload length");
        assertEquals(58, r[6], "next header ICMPv6");
        assertArrayEquals(Packets.address("2001:db8:2::9"), Arrays.copyOfRange(r, 8, 24));
        assertArrayEquals(Packets.address("2001:db8:1::5"), Arrays.copyOfRange(r, 24, 40));
        assertEquals(1, r[40], "type 1: destination unreachable");
        assertEquals(1, r[41], "code 1: administratively prohibited");
        assertArrayEquals(new byte[4], Arrays.copyOfRange(r, 44, 48), "unused");
        assertArrayEquals(p, Arrays.copyOfRange(r, 48, n), "the packet quoted whole");
        assertEquals(true, checksumVerifies(r, n));
    }

    @Test
    void aLongPacketIsQuotedSoThatTheAnswerFitsTheMinimumMtu() {
        byte[] p = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "x".repeat(1400));
        int n = block.answer(p, p.length, now);
        assertEquals(1280, n);
        assertArrayEquals(Arrays.copyOf(p, 1232), Arrays.copyOfRange(block.reply(), 48, 1280));
        assertEquals(true, checksumVerifies(block.reply(), n));
    }

    @Test
    void noAnswerWhereRfc4443ForbidsOne() {
        byte[] multicast = Packets.ipv6("2001:db8:1::5", "ff02::1", "all nodes");
        assertEquals(0, block.answer(multicast, multicast.length, now));
        byte[] unspecified = Packets.ipv6("::", "2001:db8:2::9", "from nobody");
        assertEquals(0, block.answer(unspecified, unspecified.length, now));
        byte[] error = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "\u0001\u0000error");
        error[6] = 58;
        assertEquals(0, block.answer(error, error.length, now), "never an error about an error");
        byte[] echo = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "\u0080\u0000echo");
        echo[6] = 58;
        assertEquals(40 + 8 + echo.length, block.answer(echo, echo.length, now), "an echo request gets one");
        byte[] v4 = Packets.ipv4("10.7.0.2", "198.51.100.7", "not v6");
        assertEquals(0, block.answer(v4, v4.length, now));
    }

    @Test
    void answersAreRateLimitedToABurstThenTenASecond() {
        byte[] p = Packets.ipv6("2001:db8:1::5", "2001:db8:2::9", "again");
        int answered = 0;
        for (int i = 0; i < 100; i++) {
            answered += block.answer(p, p.length, now) > 0 ? 1 : 0;
        }
        assertEquals(Ipv6Block.BURST, answered, "a burst, then nothing");
        now += 99 * MS;
        assertEquals(0, block.answer(p, p.length, now));
        now += 1 * MS;
        assertEquals(true, block.answer(p, p.length, now) > 0, "a new token every 100 ms");
        assertEquals(0, block.answer(p, p.length, now));
        now += 60_000 * MS;
        answered = 0;
        for (int i = 0; i < 100; i++) {
            answered += block.answer(p, p.length, now) > 0 ? 1 : 0;
        }
        assertEquals(Ipv6Block.BURST, answered, "the bucket holds no more than a burst after a long pause");
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.minivpn.api.tun.TunDevice;

/**
 * What a client whose tunnel has no IPv6 address does with the IPv6 packets it reads from its TUN:
 * it drops them, so that nothing leaves beside the tunnel (the routing sends all IPv6 into the TUN,
 * as wg-quick does with ::/0), and answers each with an ICMPv6 Destination Unreachable, code 1
 * "communication with destination administratively prohibited" (RFC 4443 §3.1), so that the
 * application fails at once instead of timing out, and a dual-stack one falls back to IPv4
 * (RFC 8305). The answer goes back into the TUN, to the host's own stack, never to the network.
 *
 * <p>As RFC 4443 §2.4 requires, no error answers an ICMPv6 error, a packet to a multicast address or
 * one from an unspecified or multicast source, and errors are rate-limited (a token bucket: a burst
 * of {@value #BURST}, then {@value #PER_SECOND} a second, as Linux limits its own ICMPv6 errors).
 *
 * <p>Used by the relay's TUN thread only, but for {@link #activate}. Allocates nothing: the answer
 * is built in a buffer made once.
 */
final class Ipv6Block {

    /** The IPv6 minimum MTU: an ICMPv6 error carries as much of the packet as fits in it (RFC 4443 §2.4 (c)). */
    static final int MIN_MTU = 1280;
    static final int BURST = 10;
    static final int PER_SECOND = 10;
    private static final long NANOS_PER_TOKEN = 1_000_000_000L / PER_SECOND;
    private static final int IPV6_HEADER = 40;
    private static final int ICMP_HEADER = 8;
    private static final byte NEXT_HEADER_ICMPV6 = 58;
    private static final Logger LOG = System.getLogger(Ipv6Block.class.getName());

    private volatile TunDevice tun;
    private final Object tunWriteLock;
    private final byte[] reply = new byte[MIN_MTU];
    private long dropped; // written by the TUN thread only
    private long tokensAtNanos; // the time at which the bucket was last full minus what was spent since
    private boolean started;
    private volatile boolean active; // the tunnel has no IPv6 address

    /**
     * @param tun where answers are written
     * @param tunWriteLock held while writing, since the TUN takes one writer at a time
     */
    Ipv6Block(TunDevice tun, Object tunWriteLock) {
        this.tun = tun;
        this.tunWriteLock = tunWriteLock;
    }

    /** From now on answers go to {@code t}: the TUN device came back as a new service. */
    void device(TunDevice t) {
        tun = t;
    }

    /** Blocks IPv6 from now on when the tunnel has no IPv6 address ({@code block}); says so when it starts. */
    void activate(boolean block) {
        if (block && !active) {
            LOG.log(Level.INFO, "the server pushes no IPv6 address: IPv6 packets are dropped and answered with ICMPv6"
                    + " 'administratively prohibited'; nothing leaves outside the tunnel");
        }
        active = block;
    }

    /** True when the packet {@code packet[0, n)} read from the TUN is IPv6 and IPv6 is blocked: drop it. */
    boolean blocks(byte[] packet, int n) {
        return active && n > 0 && (packet[0] & 0xf0) == 0x60;
    }

    /** Drops the IPv6 packet {@code packet[0, n)} read from the TUN, and answers it when due. */
    void drop(byte[] packet, int n) {
        dropped++;
        int len = answer(packet, n, System.nanoTime());
        if (len > 0) {
            try {
                synchronized (tunWriteLock) {
                    tun.write(reply, 0, len);
                    tun.flush();
                }
            } catch (IOException e) {
                // the device is gone; the TUN loop learns it from its own read
            }
        }
    }

    /** IPv6 packets dropped so far; read from any thread, it may be a packet behind. */
    long dropped() {
        return dropped;
    }

    /** The buffer {@link #answer} writes into. */
    byte[] reply() {
        return reply;
    }

    /**
     * Builds in {@link #reply()} the ICMPv6 error that answers the IPv6 packet {@code packet[0, n)}.
     *
     * @return its length, or 0 when none is due (a rule of RFC 4443 §2.4, or the rate limit)
     */
    int answer(byte[] packet, int n, long nowNanos) {
        if (n < IPV6_HEADER || (packet[0] & 0xf0) != 0x60) {
            return 0;
        }
        if (packet[24] == (byte) 0xff || packet[8] == (byte) 0xff || unspecifiedSource(packet)) {
            return 0; // to a multicast group, or from nobody who could be told
        }
        if (packet[6] == NEXT_HEADER_ICMPV6 && n > IPV6_HEADER && (packet[IPV6_HEADER] & 0x80) == 0) {
            return 0; // an ICMPv6 error itself (types 0 to 127)
        }
        if (!take(nowNanos)) {
            return 0;
        }
        int quoted = Math.min(n, MIN_MTU - IPV6_HEADER - ICMP_HEADER);
        int payload = ICMP_HEADER + quoted;
        byte[] r = reply;
        r[0] = 0x60;
        r[1] = 0;
        r[2] = 0;
        r[3] = 0;
        r[4] = (byte) (payload >>> 8);
        r[5] = (byte) payload;
        r[6] = NEXT_HEADER_ICMPV6;
        r[7] = 64;
        System.arraycopy(packet, 24, r, 8, 16); // from the destination that could not be reached
        System.arraycopy(packet, 8, r, 24, 16); // to the sender
        r[40] = 1; // Destination Unreachable
        r[41] = 1; // administratively prohibited
        r[42] = 0;
        r[43] = 0;
        r[44] = 0;
        r[45] = 0;
        r[46] = 0;
        r[47] = 0;
        System.arraycopy(packet, 0, r, IPV6_HEADER + ICMP_HEADER, quoted);
        int sum = checksum(r, payload);
        r[42] = (byte) (sum >>> 8);
        r[43] = (byte) sum;
        return IPV6_HEADER + payload;
    }

    private static boolean unspecifiedSource(byte[] p) {
        for (int i = 8; i < 24; i++) {
            if (p[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Takes one token of the bucket when there is one. */
    private boolean take(long now) {
        long full = now - BURST * NANOS_PER_TOKEN; // tokensAtNanos at or before this: the bucket is full
        if (!started || tokensAtNanos - full < 0) {
            started = true;
            tokensAtNanos = full;
        }
        if (now - tokensAtNanos < NANOS_PER_TOKEN) {
            return false;
        }
        tokensAtNanos += NANOS_PER_TOKEN;
        return true;
    }

    /** The ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1) and the message at {@code r[40]}. */
    private static int checksum(byte[] r, int length) {
        long sum = 0;
        for (int i = 8; i < IPV6_HEADER; i += 2) { // source and destination
            sum += ((r[i] & 0xff) << 8) | (r[i + 1] & 0xff);
        }
        sum += length;
        sum += NEXT_HEADER_ICMPV6;
        int end = IPV6_HEADER + length;
        for (int i = IPV6_HEADER; i + 1 < end; i += 2) {
            sum += ((r[i] & 0xff) << 8) | (r[i + 1] & 0xff);
        }
        if ((length & 1) != 0) {
            sum += (r[end - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}

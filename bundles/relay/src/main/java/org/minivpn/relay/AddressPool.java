package org.minivpn.relay;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import org.minivpn.api.IpPrefix;

/**
 * The server's tunnel addresses: slot {@code i} is host {@code i} of the IPv4 pool and, when an IPv6
 * pool is configured, host {@code i} of it too. Slot 1 is the server itself; slot 0 and the IPv4
 * broadcast are never given out. A static address bound to an identity reserves its slot: it is
 * only ever that identity's.
 *
 * <p>How addresses are handed out, so that one client's traffic never reaches another:
 * <ul>
 *   <li>an identity gets back the address it held last, when that one is free (OpenVPN's
 *       ifconfig-pool-persist and WireGuard's fixed AllowedIPs give a returning client the same
 *       address; its TCP connections and the server's NAT entries stay its own);
 *   <li>an address freed by one identity goes to no other for {@code quarantine} (by default 60 s,
 *       longer than the server's NAT keeps most UDP entries and than TCP retransmits for a short
 *       outage), so that return traffic for the departed client finds nobody rather than a stranger;
 *   <li>otherwise the free address that was released longest ago is taken (least recently used;
 *       never used ones first, lowest first), so that a recently freed one waits as long as it can.
 * </ul>
 * When only quarantined addresses are left, {@link #allocate} refuses ({@link #QUARANTINED}) rather
 * than break the rule. What an identity held last is remembered per slot (who released it and when),
 * so the memory is bounded by the pool's size whatever the number of identities.
 *
 * <p>{@link #allocate} finds its slot in O(1), whatever the size of the pool ({@link FreeSlots}: the
 * free slots in release order, and per identity the ones it left). Releases are filed in the order of
 * the clock, so when the slot released longest ago is still in another identity's quarantine, every
 * other free slot is too. The clock must therefore never go back ({@code System::nanoTime}).
 *
 * <p>{@link #owner4}/{@link #owner6} map a destination address to the peer that owns it without
 * allocating or locking (the relay's hot path); {@link #allocate}/{@link #release} are synchronized
 * and take O(1); {@link #leases} scans the pool.
 *
 * @param <P> the per-peer state the relay keeps
 */
final class AddressPool<P> {

    /** The server's own slot. */
    static final int SERVER = 1;
    /** {@link #allocate}: every client address is in use. */
    static final int EXHAUSTED = -1;
    /** {@link #allocate}: the free addresses are all in quarantine after another identity left. */
    static final int QUARANTINED = -2;
    /** {@link #allocate}: the identity's static address is held by another of its sessions. */
    static final int STATIC_IN_USE = -3;
    /** {@link #request}: the address is not a client address of the IPv4 pool. */
    static final int NOT_IN_POOL = -4;
    /** {@link #request}: the address is another identity's static one. */
    static final int RESERVED = -5;
    /** {@link #request}: another session holds the address. */
    static final int IN_USE = -6;
    private static final int MAX_SLOTS = 1 << 16;

    private final IpPrefix pool4;
    private final IpPrefix pool6; // null when the tunnel has no IPv6
    private final int base4;
    private final long base6High;
    private final long base6Low;
    private final int slots;
    private final long quarantineNanos;
    private final LongSupplier clock;
    private final AtomicReferenceArray<P> owners;
    private final Map<String, Integer> reserved; // identity → slot
    private final String[] reservedFor; // slot → the identity whose static address it is, or null
    private final boolean[] taken; // guarded by this
    private final String[] lastHolder; // guarded by this: who held the slot last, null when never used
    private final long[] releasedAt; // guarded by this: clock when it was last freed
    private final FreeSlots free; // guarded by this: the free slots that are nobody's static address

    /**
     * @param statics static addresses by identity; each must be a client address of the pools
     * @param quarantine how long an address freed by one identity is kept from the others
     * @param clock the time in nanoseconds, e.g. {@code System::nanoTime}
     */
    AddressPool(IpPrefix pool4, IpPrefix pool6, Map<String, InetAddress> statics, Duration quarantine, LongSupplier clock) {
        if (!pool4.isIpv4()) {
            throw new IllegalArgumentException("pool " + pool4 + " is not IPv4: set pool to e.g. 10.7.0.0/24");
        }
        if (pool4.prefixLength() < 16 || pool4.prefixLength() > 29) {
            throw new IllegalArgumentException("pool " + pool4 + " must be between /16 and /29 (e.g. 10.7.0.0/24)");
        }
        if (quarantine.isNegative()) {
            throw new IllegalArgumentException("address.quarantine.seconds must not be negative: use e.g. 60");
        }
        this.pool4 = pool4.network();
        this.base4 = toInt(this.pool4.address());
        this.slots = Math.min(MAX_SLOTS, 1 << (32 - pool4.prefixLength()));
        this.quarantineNanos = quarantine.toNanos();
        this.clock = clock;
        if (pool6 != null) {
            if (pool6.isIpv4()) {
                throw new IllegalArgumentException("pool6 " + pool6 + " is not IPv6: set it to e.g. fd00:7::/64");
            }
            if (pool6.prefixLength() > 128 - 16) {
                throw new IllegalArgumentException("pool6 " + pool6 + " is too small: use /112 or larger (e.g. /64)");
            }
            this.pool6 = pool6.network();
            byte[] a = this.pool6.address().getAddress();
            this.base6High = Wire.getLong(a, 0);
            this.base6Low = Wire.getLong(a, 8);
        } else {
            this.pool6 = null;
            this.base6High = 0;
            this.base6Low = 0;
        }
        this.owners = new AtomicReferenceArray<>(slots);
        this.taken = new boolean[slots];
        this.lastHolder = new String[slots];
        this.releasedAt = new long[slots];
        this.reservedFor = new String[slots];
        this.free = new FreeSlots(slots);
        taken[0] = true;
        taken[SERVER] = true;
        taken[slots - 1] = true; // broadcast
        this.reserved = new HashMap<>();
        statics.forEach((identity, address) -> {
            int slot = address instanceof Inet6Address ? slot6(address) : slot4(toInt(address));
            if (slot <= SERVER || slot >= slots - 1) {
                throw new IllegalArgumentException("static address " + address.getHostAddress() + " for '" + identity
                        + "' is not a client address of pool " + pool4 + (pool6 == null ? "" : " / " + pool6));
            }
            if (reservedFor[slot] != null) {
                throw new IllegalArgumentException("static address " + address.getHostAddress() + " is given to two identities");
            }
            reserved.put(identity, slot);
            reservedFor[slot] = identity;
        });
        for (int i = SERVER + 1; i < slots - 1; i++) {
            if (reservedFor[i] == null) {
                free.append(i, null); // never used: lowest first
            }
        }
    }

    IpPrefix pool4() {
        return pool4;
    }

    /** The IPv6 pool, or null. */
    IpPrefix pool6() {
        return pool6;
    }

    /** The server's own tunnel addresses: the first host of each pool. */
    java.util.List<IpPrefix> serverAddresses() {
        return pool6 == null ? java.util.List.of(prefix4(SERVER)) : java.util.List.of(prefix4(SERVER), prefix6(SERVER));
    }

    /** How many addresses clients can get: the pool without the network, server and broadcast addresses. */
    int clientAddresses() {
        return slots - 3;
    }

    /**
     * Takes a slot for {@code identity}: its static one when configured; else the one it released
     * last when that is free; else the free one released longest ago that is neither reserved for
     * someone else nor in quarantine after another identity. The identity "" (an unauthenticated
     * transport) is nobody: it gets nothing back, and what it frees is quarantined from everyone.
     *
     * @return the slot, or {@link #EXHAUSTED}, {@link #QUARANTINED} or {@link #STATIC_IN_USE}
     */
    synchronized int allocate(String identity, P owner) {
        Integer fixed = reserved.get(identity);
        if (fixed != null) {
            return claim(fixed, identity, owner) ? fixed : STATIC_IN_USE;
        }
        int slot = identity.isEmpty() ? -1 : free.newestOf(identity);
        if (slot < 0) {
            // No free slot of its own, so the oldest free one is another's (or nobody's): when that
            // one is still in quarantine, so is every later release.
            slot = free.oldest();
            if (slot < 0) {
                return EXHAUSTED;
            }
            if (lastHolder[slot] != null && clock.getAsLong() - releasedAt[slot] < quarantineNanos) {
                return QUARANTINED;
            }
        }
        claim(slot, identity, owner);
        return slot;
    }

    /**
     * Takes the slot of the IPv4 {@code address} a peer asks for by using it (a plain peer's first
     * packet), under the same rules as {@link #allocate}: it must be a client address of the pool,
     * not another identity's static one, not held, and not in quarantine after another identity.
     * The identity "" gets no address out of quarantine, as in {@link #allocate}.
     *
     * @return the slot, or {@link #NOT_IN_POOL}, {@link #RESERVED}, {@link #IN_USE} or {@link #QUARANTINED}
     */
    synchronized int request(int address, String identity, P owner) {
        int slot = slot4(address);
        if (slot <= SERVER || slot >= slots - 1) {
            return NOT_IN_POOL;
        }
        if (reservedFor[slot] != null && !reservedFor[slot].equals(identity)) {
            return RESERVED;
        }
        if (taken[slot]) {
            return IN_USE;
        }
        String last = lastHolder[slot];
        if (last != null && (identity.isEmpty() || !last.equals(identity))
                && clock.getAsLong() - releasedAt[slot] < quarantineNanos) {
            return QUARANTINED;
        }
        claim(slot, identity, owner);
        return slot;
    }

    /**
     * Remembers that {@code identity} held the IPv4 {@code address} before a restart ({@link Leases}):
     * as if it released it just now, so that it gets it back and, for the quarantine, nobody else
     * does. Ignored for an address outside the pool, held, static, or already restored.
     *
     * @return true when restored
     */
    synchronized boolean restore(String identity, int address) {
        int slot = slot4(address);
        if (identity.isEmpty() || slot <= SERVER || slot >= slots - 1 || taken[slot] || reservedFor[slot] != null
                || lastHolder[slot] != null) {
            return false;
        }
        free.remove(slot, null);
        lastHolder[slot] = identity;
        releasedAt[slot] = clock.getAsLong();
        free.append(slot, identity); // as if released now: the newest
        return true;
    }

    /** Who held each dynamic IPv4 address last (holding it now or not), for {@link Leases}. */
    synchronized java.util.List<Leases.Lease> leases() {
        java.util.List<Leases.Lease> l = new java.util.ArrayList<>();
        for (int i = SERVER + 1; i < slots - 1; i++) {
            if (lastHolder[i] != null && !lastHolder[i].isEmpty() && reservedFor[i] == null) {
                l.add(new Leases.Lease(lastHolder[i], address4(i)));
            }
        }
        return l;
    }

    /** True when {@code identity} has a static address. */
    boolean hasStatic(String identity) {
        return reserved.containsKey(identity);
    }

    private boolean claim(int slot, String identity, P owner) {
        if (taken[slot]) {
            return false;
        }
        taken[slot] = true;
        free.remove(slot, lastHolder[slot]);
        lastHolder[slot] = identity;
        owners.set(slot, owner);
        return true;
    }

    /** Hands {@code slot} from {@code from} to {@code to}, another session of the same identity; false when {@code from} does not hold it. */
    synchronized boolean transfer(int slot, P from, P to) {
        if (slot <= SERVER || slot >= slots - 1 || owners.get(slot) != from) {
            return false;
        }
        owners.set(slot, to);
        return true;
    }

    /** Frees {@code slot} when {@code owner} holds it; from now on its quarantine runs. */
    synchronized void release(int slot, P owner) {
        if (slot > SERVER && slot < slots - 1 && owners.get(slot) == owner) {
            owners.set(slot, null);
            taken[slot] = false;
            releasedAt[slot] = clock.getAsLong();
            if (reservedFor[slot] == null) {
                free.append(slot, lastHolder[slot]);
            }
        }
    }

    /** The peer whose IPv4 address is {@code address}, or null. Allocates nothing. */
    P owner4(int address) {
        int slot = slot4(address);
        return slot < 0 ? null : owners.get(slot);
    }

    /** The peer whose IPv6 address is {@code high:low}, or null. Allocates nothing. */
    P owner6(long high, long low) {
        int slot = slot6(high, low);
        return slot < 0 ? null : owners.get(slot);
    }

    int slot4(int address) {
        long i = (address & 0xffffffffL) - (base4 & 0xffffffffL);
        return i >= 0 && i < slots ? (int) i : -1;
    }

    int slot6(long high, long low) {
        if (pool6 == null || high != base6High) {
            return -1;
        }
        long i = low - base6Low;
        return i >= 0 && i < slots ? (int) i : -1;
    }

    private int slot6(InetAddress a) {
        byte[] b = a.getAddress();
        return slot6(Wire.getLong(b, 0), Wire.getLong(b, 8));
    }

    /** The IPv4 address of a slot, as an int. */
    int address4(int slot) {
        return base4 + slot;
    }

    IpPrefix prefix4(int slot) {
        return new IpPrefix(toAddress(address4(slot)), pool4.prefixLength());
    }

    /** The IPv6 address of a slot with the pool's prefix length, or null without IPv6. */
    IpPrefix prefix6(int slot) {
        if (pool6 == null) {
            return null;
        }
        byte[] b = new byte[16];
        Wire.putLong(b, 0, base6High);
        Wire.putLong(b, 8, base6Low + slot);
        try {
            return new IpPrefix(InetAddress.getByAddress(b), pool6.prefixLength());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    static InetAddress toAddress(int v) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

package org.minivpn.relay;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.SessionInfo;

/**
 * Which sessions the server holds and which address each has: a session is admitted when its
 * handshake completes, gets an address at its hello (or, a plain peer, at its first IPv4 packet),
 * and gives it back when it ends.
 *
 * <p>One session per identity, unless {@code duplicate.identity} is set: a new session of an
 * identity replaces the old one, as OpenVPN does without {@code duplicate-cn}, so that one
 * certificate holds one address and cannot take the whole pool from many source ports. A client
 * that lost its session (a reboot, a new NAT mapping) comes back at once and, the old address now
 * being free, gets it again. An identity with a static address always has one session, since the
 * address cannot be shared. A peer can only ever replace sessions of its own authenticated
 * identity, never another's. The identity "" (an unauthenticated, debugging-only transport) names
 * nobody: those sessions never replace each other.
 *
 * <p>All changes happen under one lock, so a hello racing with the session's replacement or end
 * never leaves an address held by a session that is gone. Sessions are closed outside the lock:
 * a transport may call {@code closed} back from its own locks.
 *
 * <p>A plain peer, one that never said HELLO (the original C MiniVPN's client), gets its address
 * from its first IPv4 packet ({@link #assignPlain}) and is never sent a control record.
 */
final class Admission {

    private static final Logger LOG = System.getLogger(Admission.class.getName());
    private static final String CONFIG_FILE = "configs/org.minivpn.relay.server.cfg";

    private final AddressPool<ServerPeer> pool;
    private final ServerSettings settings;
    private final Object lock = new Object();
    private final Runnable assigned;
    private final List<ServerPeer> retiring = new ArrayList<>(); // guarded by lock: sessions a move left, still open
    /** How long a session a move left stays open for the packets in flight on it. */
    static final long RETIRE_MILLIS = 1000;
    private final Set<ServerPeer> peers = ConcurrentHashMap.newKeySet(); // changed under lock, read by anyone
    private final Map<String, Set<ServerPeer>> byIdentity = new HashMap<>(); // guarded by lock: peers but those of ""
    private final ConcurrentLinkedQueue<ServerPeer> arrived = new ConcurrentLinkedQueue<>(); // admitted, not yet taken by arrived()
    private volatile int holding; // written under lock: admitted peers that hold an address

    /** @param assigned told (under the admission lock, so it must not block) each time a peer gets an address */
    Admission(AddressPool<ServerPeer> pool, ServerSettings settings, Runnable assigned) {
        this.pool = pool;
        this.settings = settings;
        this.assigned = assigned;
    }

    /** The admitted sessions; iterating needs no lock and may miss concurrent changes. */
    Collection<ServerPeer> peers() {
        return Collections.unmodifiableSet(peers);
    }

    /** How many sessions are admitted, and how many of them hold an address. */
    record Counts(int sessions, int addresses) {
    }

    /** The {@link Counts} as of now; any thread, O(1): no walk of the sessions. */
    Counts counts() {
        return new Counts(peers.size(), holding);
    }

    /** True while {@code p} is admitted. Any thread; O(1). */
    boolean admits(ServerPeer p) {
        return peers.contains(p);
    }

    /** A peer admitted since the last call, each once, or null: how the relay's thread learns of new ones. */
    ServerPeer arrived() {
        return arrived.poll();
    }

    /**
     * A session completed its handshake: admits it and ends the sessions of its identity it replaces.
     * The new session takes over the address of the one it replaces at once, before its HELLO, so
     * that a client moving its tunnel to a new session (a rekey, another transport) loses no more
     * than the packets in flight: from now on the address's packets go to the new session, and the
     * client sends on it as soon as its handshake is done.
     */
    void opened(ServerPeer p) {
        List<ServerPeer> replaced = List.of();
        synchronized (lock) {
            Set<ServerPeer> same = p.identity.isEmpty() ? Set.of()
                    : byIdentity.computeIfAbsent(p.identity, k -> new HashSet<>(2));
            if (!same.isEmpty() && (!settings.duplicateIdentity() || pool.hasStatic(p.identity))) {
                replaced = new ArrayList<>(same); // found by identity, not by a walk of every session
            }
            peers.add(p);
            if (!p.identity.isEmpty()) {
                same.add(p);
            }
            arrived.add(p);
            if (!replaced.isEmpty()) {
                int handover = -1;
                for (ServerPeer old : replaced) {
                    int slot = old.slot;
                    if (handover < 0 && slot >= 0 && pool.transfer(slot, old, p)) {
                        old.slot = -1; // not released: it stays the identity's
                        holding--; // p holds it now (bind, below)
                        handover = slot;
                        old.successor = p; // what the client still sends on it reaches the new session
                        old.retireAtNanos = System.nanoTime() + RETIRE_MILLIS * 1_000_000L;
                        retiring.add(old);
                    }
                    remove(old);
                }
                if (handover >= 0) {
                    bind(p, handover);
                }
            }
        }
        for (ServerPeer old : replaced) {
            LOG.log(Level.INFO, "client '" + old.identity + "' from " + old.session.remoteAddress()
                    + " replaced by its new session from " + p.session.remoteAddress() + " (one session per identity;"
                    + " duplicate.identity = true in " + CONFIG_FILE + " allows several)");
            if (old.successor == null) {
                old.goodbye("replaced by a new session of '" + old.identity + "'");
            }
        }
    }

    /**
     * Closes, with a goodbye, the sessions a move left whose grace ({@value #RETIRE_MILLIS} ms, for
     * the packets still in flight on them) is over; the relay's own thread.
     */
    void retire(long now) {
        List<ServerPeer> due = List.of();
        synchronized (lock) {
            for (int i = retiring.size() - 1; i >= 0; i--) {
                ServerPeer old = retiring.get(i);
                if (now - old.retireAtNanos >= 0) {
                    if (due.isEmpty()) {
                        due = new ArrayList<>(1);
                    }
                    due.add(retiring.remove(i));
                }
            }
        }
        for (ServerPeer old : due) {
            old.goodbye("replaced by a new session of '" + old.identity + "'");
        }
    }

    /**
     * Gives {@code p}, which said HELLO, an address unless it has one: its static one; else the
     * address it asks for ({@code requested4}, the one it held before it reconnected, e.g. to a
     * server that restarted and forgot) when {@link AddressPool#request} grants it: in the pool,
     * free, not another identity's static address, not in quarantine after another identity; else
     * one from the pool as usual. A refused request is no refusal of the peer. A peer that gets no
     * address at all is told why and closed.
     *
     * @param requested4 the IPv4 address asked for, or 0 for none
     * @return true when {@code p} holds an address
     */
    boolean assign(ServerPeer p, int requested4) {
        String refusal;
        String declined = null;
        synchronized (lock) {
            if (!peers.contains(p)) {
                return false; // replaced or ended meanwhile
            }
            if (p.slot >= 0) {
                return true;
            }
            int slot = AddressPool.EXHAUSTED;
            if (requested4 != 0 && !pool.hasStatic(p.identity)) {
                slot = pool.request(requested4, p.identity, p);
                if (slot < 0) {
                    declined = requestRefusal(slot);
                }
            }
            if (slot < 0) {
                slot = pool.allocate(p.identity, p);
            }
            if (slot >= 0) {
                if (requested4 != 0) {
                    String asked = AddressPool.toAddress(requested4).getHostAddress();
                    LOG.log(Level.INFO, "client '" + p.identity + "' asked for its previous address " + asked + ": "
                            + (declined == null ? (pool.address4(slot) == requested4 ? "granted" : "it has a static one")
                            : "not granted, " + declined));
                }
                bind(p, slot);
                return true;
            }
            refusal = refusal(p, slot);
        }
        refuse(p, refusal);
        return false;
    }

    /** Why {@link AddressPool#request} did not grant a returning client's address. */
    private String requestRefusal(int failure) {
        return switch (failure) {
            case AddressPool.NOT_IN_POOL -> "it is not a client address of pool " + pool.pool4();
            case AddressPool.RESERVED -> "it is another identity's static address";
            case AddressPool.IN_USE -> "another session holds it";
            default -> "another client left it less than " + settings.addressQuarantine().toSeconds() + " s ago";
        };
    }

    /**
     * Gives a plain peer (one that sent an IPv4 packet without a HELLO, as the original C MiniVPN's
     * client does) an address unless it has one: its static one when configured, else the packet's
     * source address {@code source4} when that is a client address of the pool, not another
     * identity's static address, not held and not in quarantine after another identity. The
     * original client has no way to learn an address: its TUN is set up by hand, so the server takes
     * the address it uses, as WireGuard binds a peer to its configured AllowedIPs rather than to
     * whatever it sends from. From then on the anti-spoofing check holds the peer to that address.
     * A peer that gets none is refused with the reason logged, and closed without a GOODBYE: a plain
     * peer writes every record to its TUN.
     *
     * @return true when {@code p} holds an address
     */
    boolean assignPlain(ServerPeer p, int source4) {
        String refusal;
        synchronized (lock) {
            if (!peers.contains(p)) {
                return false;
            }
            if (p.slot >= 0) {
                return true;
            }
            boolean fixed = pool.hasStatic(p.identity);
            int slot = fixed ? pool.allocate(p.identity, p) : pool.request(source4, p.identity, p);
            if (slot >= 0) {
                bind(p, slot);
                return true;
            }
            refusal = "a plain peer (it sent packets without a hello): " + (fixed ? refusal(p, slot)
                    : plainRefusal(AddressPool.toAddress(source4).getHostAddress(), slot));
        }
        refuse(p, refusal);
        return false;
    }

    private void refuse(ServerPeer p, String refusal) {
        LOG.log(Level.WARNING, "refused '" + p.identity + "' from " + p.session.remoteAddress() + ": " + refusal);
        p.goodbye(refusal);
    }

    private String plainRefusal(String address, int failure) {
        return "its first packet comes from " + address + ", " + switch (failure) {
            case AddressPool.NOT_IN_POOL -> "which is not a client address of pool " + pool.pool4() + ": set its TUN"
                    + " address inside the pool (not the network, the server's or the broadcast address), or give it a"
                    + " static address in statics of " + CONFIG_FILE;
            case AddressPool.RESERVED -> "which is the static address of another identity: give it another address";
            case AddressPool.IN_USE -> "which another session holds: give it another address, or a static one in"
                    + " statics of " + CONFIG_FILE;
            default -> "which another client left less than " + settings.addressQuarantine().toSeconds() + " s ago and"
                    + " is held back so that traffic for it reaches nobody else: give it another address, or wait"
                    + " (address.quarantine.seconds in " + CONFIG_FILE + ")";
        };
    }

    private String refusal(ServerPeer p, int failure) {
        return switch (failure) {
            case AddressPool.STATIC_IN_USE -> "the static address of '" + p.identity + "' is in use by another session";
            case AddressPool.QUARANTINED -> "the address pool " + pool.pool4() + " has no free address: the free ones"
                    + " were left by other clients less than " + settings.addressQuarantine().toSeconds() + " s ago and"
                    + " are held back so that traffic for them reaches nobody else; the server admin can enlarge pool"
                    + " in " + CONFIG_FILE + " (or shorten address.quarantine.seconds)";
            default -> "the address pool " + pool.pool4() + " is exhausted: the server admin can enlarge pool in "
                    + CONFIG_FILE + " or vpn:kick idle clients";
        };
    }

    private void bind(ServerPeer p, int slot) {
        p.address4 = pool.address4(slot);
        IpPrefix six = pool.prefix6(slot);
        if (six != null) {
            byte[] a = six.address().getAddress();
            p.address6High = Wire.getLong(a, 0);
            p.address6Low = Wire.getLong(a, 8);
            p.hasAddress6 = true;
        }
        p.slot = slot; // last: the receive thread checks it before it reads the others
        holding++;
        assigned.run();
        LOG.log(Level.INFO, "client '" + p.identity + "' from " + p.session.remoteAddress() + " is " + pool.prefix4(slot)
                + (six == null ? "" : " " + six));
    }

    /** The session ended: its address goes back to the pool (into quarantine). Idempotent. */
    void closed(ServerPeer p, String reason) {
        boolean was;
        synchronized (lock) {
            was = remove(p);
        }
        if (was) {
            LOG.log(Level.INFO, "client '" + p.identity + "' left: " + reason);
        }
    }

    private boolean remove(ServerPeer p) {
        if (!peers.remove(p)) {
            return false;
        }
        p.deadline.forget(); // housekeeping holds it no longer
        Set<ServerPeer> same = byIdentity.get(p.identity);
        if (same != null && same.remove(p) && same.isEmpty()) {
            byIdentity.remove(p.identity);
        }
        int slot = p.slot;
        p.slot = -1; // its packets are dropped from now on, even before its session is closed
        if (slot >= 0) {
            holding--;
            pool.release(slot, p);
        }
        return true;
    }

    /** Forgets every session (the server stops); their addresses are not given out again. */
    void clear() {
        synchronized (lock) {
            peers.clear();
            byIdentity.clear();
            holding = 0;
            arrived.clear();
            retiring.clear(); // the transports close their sessions
        }
    }

    /** The CONFIG record that tells {@code p}, which holds an address, its tunnel settings. */
    byte[] config(ServerPeer p, int slot) {
        List<Map.Entry<String, String>> lines = new ArrayList<>();
        lines.add(new SimpleEntry<>("address", pool.prefix4(slot).toString()));
        lines.add(new SimpleEntry<>("gateway", pool.prefix4(AddressPool.SERVER).address().getHostAddress()));
        if (p.hasAddress6) {
            lines.add(new SimpleEntry<>("address6", pool.prefix6(slot).toString()));
            lines.add(new SimpleEntry<>("gateway6", pool.prefix6(AddressPool.SERVER).address().getHostAddress()));
        }
        lines.add(new SimpleEntry<>("mtu", Integer.toString(settings.mtu())));
        for (IpPrefix r : settings.routes()) {
            lines.add(new SimpleEntry<>("route", r.toString()));
        }
        lines.add(new SimpleEntry<>("keepalive", Long.toString(settings.keepalive().toMillis())));
        lines.add(new SimpleEntry<>("timeout", Long.toString(settings.timeout().toMillis())));
        settings.dns().addTo(lines);
        return Wire.config(lines);
    }

    /** What {@code vpn:sessions} shows of each admitted session, by identity. */
    List<SessionInfo> sessions() {
        List<SessionInfo> out = new ArrayList<>(peers.size());
        long nanos = System.nanoTime(); // one clock reading for the whole list, not two per session
        Instant now = Instant.now();
        for (ServerPeer p : peers) {
            List<IpPrefix> addresses = new ArrayList<>();
            int slot = p.slot;
            if (slot >= 0) {
                addresses.add(pool.prefix4(slot));
                if (p.hasAddress6) {
                    addresses.add(pool.prefix6(slot));
                }
            }
            long rtt = p.rttNanos;
            long silentNanos = nanos - p.lastSeenNanos;
            out.add(new SessionInfo(p.identity, addresses, p.session.remoteAddress(), p.counters.snapshot(),
                    now.minusNanos(silentNanos), rtt < 0 ? null : Duration.ofNanos(rtt), !p.hello));
        }
        out.sort((a, b) -> a.identity().compareTo(b.identity()));
        return out;
    }

    /** Ends the sessions of a client named by identity or tunnel address, with a goodbye; returns how many. */
    int kick(String who) {
        int n = 0;
        for (ServerPeer p : peers) {
            int slot = p.slot;
            boolean match = p.identity.equals(who)
                    || (slot >= 0 && (pool.prefix4(slot).address().getHostAddress().equals(who)
                            || (p.hasAddress6 && pool.prefix6(slot).address().getHostAddress().equals(who))));
            if (match) {
                p.goodbye("disconnected by the server's administrator");
                closed(p, "kicked");
                n++;
            }
        }
        return n;
    }
}

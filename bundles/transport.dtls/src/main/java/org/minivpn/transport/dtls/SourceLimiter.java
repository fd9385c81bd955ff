package org.minivpn.transport.dtls;

import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-source admission of new handshakes, after WireGuard's device/ratelimiter.go: a token bucket
 * per source (an IPv4 address, or an IPv6 /64) in a bounded table, and beside it the number of
 * the source's handshakes in flight. Only sources that echoed a valid cookie (RFC 6347 4.2.1) get
 * here, so spoofed addresses cannot grow the table; an entry is forgotten once its bucket is full
 * again and it has nothing in flight, which is the same as never having seen it. A full table
 * refuses new sources, as WireGuard's does. Receive thread only.
 */
final class SourceLimiter {

    /** Sources tracked at once. An entry lives about burst / rate seconds (2 s by default) after its last handshake. */
    static final int MAX_SOURCES = 8192;
    private static final long WARN_EVERY = TimeUnit.MINUTES.toNanos(1);

    private final DropCounters drops;
    private final Map<Key, Source> sources = new HashMap<>();
    private long lastWarning;
    private long windowStart = System.nanoTime();

    SourceLimiter(DropCounters drops) {
        this.drops = drops;
    }

    /**
     * Takes a token and a place in flight for a new handshake from {@code from}; false, counted and
     * (at most once a minute) logged, when the source is over a limit. A true must be matched by
     * one {@link #release}.
     */
    boolean admit(InetAddress from, long now, HandshakeLimits limits) {
        Key key = Key.of(from);
        Source s = sources.get(key);
        long cost = TimeUnit.SECONDS.toNanos(1) / limits.ratePerSecond();
        long full = cost * limits.burst();
        if (s == null) {
            if (sources.size() >= MAX_SOURCES) {
                drops.rateLimited++;
                warn(now, "refusing handshakes from new sources: " + sources.size() + " sources started handshakes"
                        + " in the last seconds, the most this server tracks");
                return false;
            }
            s = new Source(full, now);
            sources.put(key, s);
        }
        s.refill(now, full);
        if (s.inFlight >= limits.perSource()) {
            drops.sourceLimited++;
            refuse(key, s, now);
            return false;
        }
        if (s.tokens < cost) {
            drops.rateLimited++;
            refuse(key, s, now);
            return false;
        }
        s.tokens -= cost;
        s.inFlight++;
        return true;
    }

    /** A handshake admitted for {@code from} left (done, failed, evicted or abandoned). */
    void release(InetAddress from) {
        Source s = sources.get(Key.of(from));
        if (s != null && s.inFlight > 0) {
            s.inFlight--;
        }
    }

    /** Handshakes in flight from the source of {@code from}. */
    int inFlight(InetAddress from) {
        Source s = sources.get(Key.of(from));
        return s == null ? 0 : s.inFlight;
    }

    /** Sources tracked now. */
    int size() {
        return sources.size();
    }

    /** Forgets sources that are back to a full bucket with nothing in flight; restarts the refusal counts every minute. */
    void tick(long now, HandshakeLimits limits) {
        long full = TimeUnit.SECONDS.toNanos(1) / limits.ratePerSecond() * limits.burst();
        boolean newWindow = now - windowStart >= WARN_EVERY;
        if (newWindow) {
            windowStart = now;
        }
        for (Iterator<Source> it = sources.values().iterator(); it.hasNext(); ) {
            Source s = it.next();
            if (newWindow) {
                s.refused = 0;
            }
            if (s.inFlight == 0 && s.tokens + (now - s.lastRefill) >= full) {
                it.remove();
            }
        }
    }

    private void refuse(Key key, Source s, long now) {
        s.refused++;
        if (lastWarning == 0 || now - lastWarning >= WARN_EVERY) {
            warn(now, "limiting handshakes from " + key + ": " + s.inFlight + " in flight, " + s.refused
                    + " refused in the last minute");
        }
    }

    private void warn(long now, String message) {
        if (lastWarning == 0 || now - lastWarning >= WARN_EVERY) {
            lastWarning = now;
            DtlsTransport.LOG.log(Level.WARNING, message);
        }
    }

    /** A source's bucket (tokens in nanoseconds of refill time, as WireGuard keeps them) and its handshakes in flight. */
    private static final class Source {
        long tokens;
        long lastRefill;
        int inFlight;
        int refused;

        Source(long full, long now) {
            this.tokens = full;
            this.lastRefill = now;
        }

        void refill(long now, long full) {
            tokens = Math.min(full, tokens + (now - lastRefill));
            lastRefill = now;
        }
    }

    /** An IPv4 address, or the /64 prefix of an IPv6 address. */
    private record Key(long bits, boolean v6) {

        static Key of(InetAddress address) {
            byte[] a = address.getAddress();
            long bits = 0;
            for (int i = 0; i < Math.min(8, a.length); i++) {
                bits = bits << 8 | (a[i] & 0xFF);
            }
            return new Key(bits, !(address instanceof Inet4Address));
        }

        @Override
        public String toString() {
            if (!v6) {
                return ((bits >>> 24) & 0xFF) + "." + ((bits >>> 16) & 0xFF) + "." + ((bits >>> 8) & 0xFF) + "." + (bits & 0xFF);
            }
            return String.format("%x:%x:%x:%x::/64", (bits >>> 48) & 0xFFFF, (bits >>> 32) & 0xFFFF,
                    (bits >>> 16) & 0xFFFF, bits & 0xFFFF);
        }
    }
}

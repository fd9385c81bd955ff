package org.minivpn.transport.dtls;

/**
 * The anti-replay window of RFC 6347 4.1.2.6: the newest sequence number seen and a bitmap of the
 * 64 before it. Check with {@link #isDuplicate} before authenticating a record, mark with
 * {@link #accept} after. One thread (the session's receive thread); allocates nothing.
 */
final class ReplayWindow {

    private static final int SIZE = 64;

    private long newest = -1;
    private long seen; // bit i: newest - i was received

    /** True when {@code seq} was received already or is too old to tell. */
    boolean isDuplicate(long seq) {
        if (seq > newest) {
            return false;
        }
        long age = newest - seq;
        return age >= SIZE || (seen & (1L << age)) != 0;
    }

    /** Marks an authenticated record; returns true when it is the newest so far. */
    boolean accept(long seq) {
        if (seq > newest) {
            long shift = seq - newest;
            seen = shift >= SIZE ? 1 : (seen << shift) | 1;
            newest = seq;
            return true;
        }
        seen |= 1L << (newest - seq);
        return false;
    }
}

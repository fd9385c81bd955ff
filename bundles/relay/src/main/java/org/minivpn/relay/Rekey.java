package org.minivpn.relay;

import java.time.Duration;

/**
 * When a client makes its session anew to replace its keys. DTLS 1.2 has no key update, so a
 * session keeps its keys for its whole life; AES-GCM must not protect more than 2^24.5 records per
 * key (RFC 8446 5.5, RFC 9147 4.5.3), which a 3 Gbit/s tunnel of 1,400-byte records reaches in
 * about 90 s. As WireGuard's initiator does after REKEY_AFTER_MESSAGES or REKEY_AFTER_TIME, the
 * client moves to a new session (make-before-break, {@link SessionSwitch#move}) once either
 * direction carried {@code records} records or the keys are {@code after} old. While a move is due
 * and has not happened (it failed), it is asked for again every {@value #RETRY_SECONDS} s.
 *
 * <p>{@link #keyed} is called on the connecting or reconnect thread, {@link #due} on the TUN loop's.
 */
final class Rekey {

    /**
     * When a rekey is due.
     *
     * @param records records in either direction after which a rekey is due; 0 for never
     * @param after key age after which a rekey is due; zero for never
     */
    record Limits(long records, Duration after) {

        /** 2^24 records (two thirds of the AES-GCM limit) or one hour. */
        static final Limits DEFAULT = new Limits(1L << 24, Duration.ofHours(1));

        Limits {
            if (records < 0 || after.isNegative()) {
                throw new IllegalArgumentException("rekey.records and rekey.seconds must not be negative: use e.g. "
                        + (1L << 24) + " and 3600, or 0 for never");
            }
        }
    }

    private static final long RETRY_SECONDS = 30;

    private final long records;
    private final long afterNanos;
    private volatile long keyedNanos;
    private volatile long baseOut;
    private volatile long baseIn;
    private volatile long nextAskNanos;

    Rekey(Limits limits) {
        this.records = limits.records();
        this.afterNanos = limits.after().toNanos();
    }

    /** New keys at {@code now}; the counters then stood at {@code out} and {@code in} packets. */
    void keyed(long now, long out, long in) {
        baseOut = out;
        baseIn = in;
        keyedNanos = now;
        nextAskNanos = now;
    }

    /** How long ago the keys were made, in nanoseconds, at {@code now}. */
    long ageNanos(long now) {
        return now - keyedNanos;
    }

    /**
     * Why a rekey is due at {@code now} with the counters at {@code out} and {@code in}, or null
     * when none is (or it was asked for less than {@value #RETRY_SECONDS} s ago). Allocates only
     * when it answers.
     */
    String due(long now, long out, long in) {
        if (now - nextAskNanos < 0) {
            return null;
        }
        long sent = out - baseOut;
        long received = in - baseIn;
        String why = null;
        if (records > 0 && (sent >= records || received >= records)) {
            why = "rekey: " + Math.max(sent, received) + " records under one key (rekey.records = " + records + ")";
        } else if (afterNanos > 0 && now - keyedNanos >= afterNanos) {
            why = "rekey: the keys are " + Duration.ofNanos(afterNanos).toSeconds() + " s old (rekey.seconds)";
        }
        if (why != null) {
            nextAskNanos = now + Duration.ofSeconds(RETRY_SECONDS).toNanos();
        }
        return why;
    }
}

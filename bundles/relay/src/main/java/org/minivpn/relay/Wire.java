package org.minivpn.relay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What travels in one transport record: an IP packet exactly as read from the TUN (first byte 0x4_
 * or 0x6_), or a control message whose first byte is a type below 0x10, which no IP packet starts
 * with. A plain peer, which speaks only raw packets (the original C MiniVPN, which writes every
 * record to its TUN and exits when the kernel refuses one), is sent no control message at all: the
 * server knows it by its missing HELLO ({@link ServerPeer}), the client by configuration or by a
 * HELLO that met no control message ({@link HelloExchange}).
 *
 * <pre>
 * HELLO      0x01 version [IPv4 address]            client → server, asks for a configuration; after a
 *                                                   reconnect it carries the address the client held
 * CONFIG     0x02 version UTF-8 "key=value\n"...    server → client: address, gateway, mtu, routes, keepalive,
 *                                                   dns, dns.search ({@link PushedDns}); unknown keys are ignored
 * PING       0x03 8-byte sender timestamp (ns)      either way
 * PONG       0x04 the 8 bytes of the PING           reply; the sender takes the round-trip time from it
 * GOODBYE    0x05 UTF-8 reason                      either way, before closing
 * </pre>
 *
 * The address in a HELLO is optional and appended, so the HELLO stays one that every server reads:
 * servers before it look at the type byte only, and {@code tools/loadgen} sends the 2-byte form. A
 * server restarted without its lease file ({@link Leases}, OpenVPN's ifconfig-pool-persist) has
 * forgotten who held which address; the request lets a returning client keep its address (and its
 * connections). It travels inside the authenticated session, so only the certificate's holder asks,
 * and the server grants it under {@link AddressPool#request}'s rules only: with the lease file, an
 * address another identity held before the restart is in quarantine for the asker.
 *
 * All readers here work on {@code byte[]} ranges and allocate nothing, except the CONFIG and GOODBYE
 * codecs, which run once per session.
 */
final class Wire {

    static final byte HELLO = 0x01;
    static final byte CONFIG = 0x02;
    static final byte PING = 0x03;
    static final byte PONG = 0x04;
    static final byte GOODBYE = 0x05;

    static final byte VERSION = 1;

    /** Length of a HELLO that asks for an IPv4 address. */
    static final int HELLO_REQUEST_LENGTH = 6;

    /** Length of a PING or PONG record. */
    static final int PING_LENGTH = 9;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Wire() {
    }

    /** 4 or 6 for an IP packet, 0 for anything else (a control message). */
    static int ipVersion(byte[] b, int off, int len) {
        if (len < 1) {
            return 0;
        }
        int v = (b[off] & 0xf0) >>> 4;
        if (v == 4 && len >= 20) {
            return 4;
        }
        if (v == 6 && len >= 40) {
            return 6;
        }
        return 0;
    }

    /** True when the record is an IP packet (of any length) rather than a control message. */
    static boolean looksLikeIp(byte[] b, int off, int len) {
        int v = len < 1 ? 0 : (b[off] & 0xf0);
        return v == 0x40 || v == 0x60;
    }

    static int ipv4Source(byte[] b, int off) {
        return (int) INT.get(b, off + 12);
    }

    static int ipv4Destination(byte[] b, int off) {
        return (int) INT.get(b, off + 16);
    }

    static long ipv6SourceHigh(byte[] b, int off) {
        return (long) LONG.get(b, off + 8);
    }

    static long ipv6SourceLow(byte[] b, int off) {
        return (long) LONG.get(b, off + 16);
    }

    static long ipv6DestinationHigh(byte[] b, int off) {
        return (long) LONG.get(b, off + 24);
    }

    static long ipv6DestinationLow(byte[] b, int off) {
        return (long) LONG.get(b, off + 32);
    }

    static long getLong(byte[] b, int off) {
        return (long) LONG.get(b, off);
    }

    static void putLong(byte[] b, int off, long v) {
        LONG.set(b, off, v);
    }

    /** Writes a PING or PONG with {@code stamp} into {@code b}; returns its length. */
    static int ping(byte[] b, byte type, long stamp) {
        b[0] = type;
        putLong(b, 1, stamp);
        return PING_LENGTH;
    }

    /** Writes into {@code reply} the PONG that answers the PING at {@code b[off]}; returns its length. */
    static int pong(byte[] b, int off, byte[] reply) {
        System.arraycopy(b, off, reply, 0, PING_LENGTH);
        reply[0] = PONG;
        return PING_LENGTH;
    }

    static byte[] hello() {
        return new byte[] {HELLO, VERSION};
    }

    /** A HELLO that asks for the IPv4 address {@code address4} (as an int); 0 asks for none. */
    static byte[] hello(int address4) {
        if (address4 == 0) {
            return hello();
        }
        byte[] b = new byte[HELLO_REQUEST_LENGTH];
        b[0] = HELLO;
        b[1] = VERSION;
        INT.set(b, 2, address4);
        return b;
    }

    /** The IPv4 address (as an int) a HELLO asks for, or 0 when it asks for none. */
    static int helloRequest(byte[] b, int off, int len) {
        return len >= HELLO_REQUEST_LENGTH ? (int) INT.get(b, off + 2) : 0;
    }

    static byte[] goodbye(String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[1 + Math.min(text.length, 1000)];
        b[0] = GOODBYE;
        System.arraycopy(text, 0, b, 1, b.length - 1);
        return b;
    }

    static String goodbyeReason(byte[] b, int off, int len) {
        return new String(b, off + 1, len - 1, StandardCharsets.UTF_8);
    }

    /** A CONFIG record from key/value lines; a key may repeat (e.g. route). */
    static byte[] config(List<Map.Entry<String, String>> lines) {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> e : lines) {
            text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[2 + body.length];
        b[0] = CONFIG;
        b[1] = VERSION;
        System.arraycopy(body, 0, b, 2, body.length);
        return b;
    }

    /** The lines of a CONFIG record, keys in order, repeated keys gathered into one list. */
    static Map<String, List<String>> parseConfig(byte[] b, int off, int len) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (len < 2) {
            return out;
        }
        String text = new String(b, off + 2, len - 2, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
            }
        }
        return out;
    }
}

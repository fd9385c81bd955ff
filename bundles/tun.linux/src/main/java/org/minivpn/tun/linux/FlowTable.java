package org.minivpn.tun.linux;

import java.io.IOException;

/**
 * The TCP segments held back to merge the next ones of their flows into them: one {@link Coalescer}
 * per flow (same IP version, addresses and ports), a few flows at a time. It follows the kernel's GRO
 * (net/core/gro.c), which holds up to {@code MAX_GRO_SKBS} = 8 packets per NAPI instance and flushes
 * them at the end of each poll, and tcp_gro_receive's rules for what merges (see {@link Coalescer}).
 * Interleaved streams, the normal case behind a VPN server, so merge as well as one stream does.
 *
 * <p>Order within a flow is never changed: a packet of a held flow that does not continue it (PSH,
 * FIN, SYN or RST, another acknowledgment or options, out of order, corrupted) writes the flow's held
 * packet first. Packets of other flows and of other protocols may pass held packets, as GRO lets
 * them. A packet that may carry TCP where its ports cannot be read (an IPv4 fragment, an IPv6 packet
 * with extension headers) writes first every held packet with its addresses. A new flow takes a free
 * slot, or the one held longest is written out to free one; only a packet that can grow takes a
 * slot, so one that cannot (a pure ACK, a PSH segment) never pushes another flow's packet out.
 * {@link #flush()} writes all, oldest first; nothing is held across it.
 *
 * <p>A peer's packets can only merge with packets of the same addresses and ports, each segment's
 * checksum verified. Many new flows at once only write held packets out sooner: one write per
 * segment at worst, as without merging. The work per packet is bounded by the table's size.
 *
 * <p>One writer thread. All buffers are allocated here, at construction; {@link #write} and
 * {@link #flush} allocate nothing.
 */
final class FlowTable {

    /** Flows held at once, GRO's {@code MAX_GRO_SKBS}. */
    static final int FLOWS = 8;

    /** Where the table's packets go; called in the writer's thread. */
    interface Output {

        /** Writes the IP packet {@code b[off, off+len)} as it is. */
        void packet(byte[] b, int off, int len) throws IOException;

        /** Writes {@code frame[0, len)}: a virtio header and packet, as {@link Coalescer#finish()} left them. */
        void merged(byte[] frame, int len) throws IOException;
    }

    private static final int OTHER = -1; // not TCP: passes held packets
    private static final int HIDDEN = -2; // may be TCP, ports not readable

    private static final int TCP = Offload.TCP;
    private static final int UDP = 17;
    private static final int ICMPV6 = 58;
    private static final int NO_NEXT_HEADER = 59;

    private final Coalescer[] slots;
    private final Output out;
    private int holding; // slots with a packet
    private long clock; // counts packets taken, to find the oldest

    /**
     * @param flows how many flows may be held at once, at least 1 ({@link #FLOWS} normally; 1 holds
     *     one packet, the behaviour before this table)
     */
    FlowTable(int flows, Output out) {
        if (flows < 1) {
            throw new IllegalArgumentException("a flow table holds at least 1 flow, not " + flows);
        }
        this.out = out;
        this.slots = new Coalescer[flows];
        for (int i = 0; i < flows; i++) {
            slots[i] = new Coalescer();
        }
    }

    /**
     * Merges the IPv4 or IPv6 packet {@code b[off, off+len)} into the held packet of its flow, holds
     * it, or writes it; held packets of its flow go out before it.
     */
    void write(byte[] b, int off, int len) throws IOException {
        int l4 = tcpHeader(b, off, len);
        if (l4 >= 0) {
            tcp(b, off, len, l4);
            return;
        }
        if (l4 == HIDDEN && holding > 0) {
            for (Coalescer c : slots) {
                if (c.holdsAddressesOf(b, off)) {
                    writeOut(c);
                }
            }
        }
        out.packet(b, off, len);
    }

    /** Writes every held packet, the one held longest first. */
    void flush() throws IOException {
        while (holding > 0) {
            writeOut(oldest());
        }
    }

    /** How many flows have a held packet. */
    int holding() {
        return holding;
    }

    private void tcp(byte[] b, int off, int len, int l4) throws IOException {
        int key = Coalescer.flowKey(b, off, l4);
        Coalescer slot = null;
        if (holding > 0) {
            for (Coalescer c : slots) {
                if (c.holdsFlowOf(b, off, l4, key)) {
                    slot = c;
                    break;
                }
            }
        }
        if (slot != null) {
            if (slot.append(b, off, len)) {
                return;
            }
            writeOut(slot); // what the flow held goes before this packet
        }
        if (!Coalescer.mayHold(b, off, len)) {
            out.packet(b, off, len);
            return;
        }
        if (slot == null) {
            slot = vacancy();
        }
        slot.take(b, off, len, key, clock++);
        holding++;
    }

    /** A slot without a packet; if all hold one, the one held longest after writing it out. */
    private Coalescer vacancy() throws IOException {
        if (holding < slots.length) {
            for (Coalescer c : slots) {
                if (!c.isHolding()) {
                    return c;
                }
            }
        }
        Coalescer c = oldest();
        writeOut(c);
        return c;
    }

    /** The holding slot taken first; only called while one holds. */
    private Coalescer oldest() {
        Coalescer found = null;
        for (Coalescer c : slots) {
            if (c.isHolding() && (found == null || c.since() < found.since())) {
                found = c;
            }
        }
        return found;
    }

    private void writeOut(Coalescer c) throws IOException {
        int n = c.finish();
        holding--;
        out.merged(c.buffer(), n);
    }

    /**
     * Where the TCP header of the packet starts if it is a TCP segment whose ports can be read;
     * {@link #HIDDEN} if it may carry TCP without that (a fragment, IPv6 extension headers);
     * {@link #OTHER} for another protocol and for a packet too short for its addresses, which the
     * kernel drops.
     */
    private static int tcpHeader(byte[] b, int off, int len) {
        if ((b[off] & 0xF0) == 0x40) {
            int ihl = (b[off] & 0x0F) * 4;
            if (len < 20 || b[off + 9] != TCP) {
                return OTHER;
            }
            boolean fragment = (Offload.get16(b, off + 6) & 0x3FFF) != 0;
            return fragment || ihl < 20 || len < ihl + 4 ? HIDDEN : ihl;
        }
        if (len < 40) {
            return OTHER;
        }
        int next = b[off + 6] & 0xFF;
        if (next == TCP) {
            return len < 44 ? HIDDEN : 40;
        }
        return next == UDP || next == ICMPV6 || next == NO_NEXT_HEADER ? OTHER : HIDDEN;
    }
}

package org.minivpn.route.linux;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The firewall mark and routing table of a full tunnel's policy routing, as wg-quick sets them up
 * for WireGuard: every packet without the mark looks up {@code table}, whose default route is the
 * TUN; the tunnel's own socket carries the mark and so keeps to the main table.
 *
 * @param mark the firewall mark of the tunnel's own socket ({@code socket.mark} of the transport);
 *     0 turns policy routing off (a host route to the server and the 0/1 + 128/1 halves instead)
 * @param table the routing table of the tunnel's routes; it must be empty before a connect
 */
record PolicyRouting(int mark, int table) {

    /** 0x6d76 ("mv"), and table 51821, one beside wg-quick's 51820. */
    static final PolicyRouting DEFAULT = new PolicyRouting(0x6d76, 51821);

    /** Off: host route and halves, as before policy routing. */
    static final PolicyRouting OFF = new PolicyRouting(0, DEFAULT.table());

    private static final Logger LOG = System.getLogger(PolicyRouting.class.getName());

    /**
     * From the configuration's text: the mark decimal or 0x-hex (empty or 0: off), the table
     * 1..2^31-1 but the kernel's own (253 default, 254 main, 255 local). A bad value turns policy
     * routing off with a warning saying what to fix; the client still connects, with a host route.
     */
    static PolicyRouting of(String markText, long table) {
        String t = markText == null ? "" : markText.strip();
        long mark;
        try {
            mark = t.isEmpty() ? 0 : Long.decode(t);
        } catch (NumberFormatException e) {
            mark = -1;
        }
        if (mark < 0 || mark > 0xFFFF_FFFFL) {
            LOG.log(Level.WARNING, "fwmark = " + markText + " in " + LinuxRouteConfigurator.PID + " is not a 32-bit"
                    + " number (e.g. 0x6d76); policy routing is off, a host route keeps the server outside the tunnel");
            return OFF;
        }
        if (table < 1 || table > Integer.MAX_VALUE || (table >= 253 && table <= 255)) {
            LOG.log(Level.WARNING, "table = " + table + " in " + LinuxRouteConfigurator.PID + " is not usable: use"
                    + " 1..2147483647 but 253, 254 and 255 (the kernel's own); policy routing is off");
            return OFF;
        }
        return new PolicyRouting((int) mark, (int) table);
    }

    boolean on() {
        return mark != 0;
    }

    /** The mark as {@code ip rule} and {@code ss} print it, e.g. {@code 0x6d76}. */
    String markText() {
        return "0x" + Integer.toHexString(mark);
    }

    String tableText() {
        return Integer.toUnsignedString(table);
    }
}

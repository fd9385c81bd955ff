package org.minivpn.tun.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunSettings;

/**
 * One interface's MTU, addresses and link state, changed over rtnetlink and remembered, so that
 * the next change replaces exactly what this one applied and a failed change is taken back.
 * Not thread-safe: the device serializes calls.
 */
final class InterfaceSettings {

    private static final Logger LOG = System.getLogger(InterfaceSettings.class.getName());

    private final String name;
    private final int index;
    private final RouteNetlink netlink;
    private TunSettings applied;
    private boolean up;

    /** An interface as the kernel creates it: link down, no addresses. */
    InterfaceSettings(String name, int index, RouteNetlink netlink, int mtu) {
        this.name = name;
        this.index = index;
        this.netlink = netlink;
        this.applied = new TunSettings(mtu, List.of());
    }

    TunSettings applied() {
        return applied;
    }

    /**
     * Removes the addresses {@code next} drops, sets the MTU, adds the new addresses and sets the
     * link state. On failure, undoes this call's steps (newest first) and throws.
     *
     * @throws IOException that names the step and gives the kernel's reason
     */
    void apply(TunSettings next, boolean linkUp) throws IOException {
        TunSettings before = applied;
        Undo undo = new Undo();
        try {
            for (IpPrefix a : before.addresses()) {
                if (!next.addresses().contains(a)) {
                    step("remove address " + a, () -> {
                        if (netlink.deleteAddress(index, a)) {
                            undo.push(() -> netlink.addAddress(index, a));
                        }
                    });
                }
            }
            if (next.mtu() != before.mtu()) {
                step("set MTU " + next.mtu(), () -> netlink.setLink(index, next.mtu(), null));
                undo.push(() -> netlink.setLink(index, before.mtu(), null));
            }
            for (IpPrefix a : next.addresses()) {
                if (!before.addresses().contains(a)) {
                    step("add address " + a, () -> netlink.addAddress(index, a));
                    undo.push(() -> netlink.deleteAddress(index, a));
                }
            }
            if (linkUp != up) {
                step(linkUp ? "bring the link up" : "take the link down", () -> netlink.setLink(index, next.mtu(), linkUp));
            }
        } catch (IOException e) {
            undo.run();
            throw e;
        }
        applied = next;
        up = linkUp;
    }

    private interface Step {
        void run() throws IOException;
    }

    private void step(String what, Step step) throws IOException {
        try {
            step.run();
        } catch (IOException e) {
            throw new IOException("cannot " + what + " on " + name + ": " + e.getMessage(), e);
        }
    }

    /** The steps that take back a failed {@link #apply}, newest first. */
    private final class Undo {
        private final ArrayDeque<Step> steps = new ArrayDeque<>();

        void push(Step step) {
            steps.push(step);
        }

        void run() {
            for (Step s : steps) {
                try {
                    s.run();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "TUN device " + name + ": could not restore a setting: " + e.getMessage());
                }
            }
        }
    }
}

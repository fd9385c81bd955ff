package org.minivpn.route.linux;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/** What the kernel's routing table says now, read with {@code ip route}. */
final class RouteLookup {

    private RouteLookup() {
    }

    /**
     * The path a packet to one address takes now.
     *
     * @param gateway the next hop, or null when the address is on a connected link
     * @param device the outgoing interface
     * @param local true when the address is this host's own (no host route needed)
     */
    record Path(String gateway, String device, boolean local) {
    }

    /** Asks the kernel how it reaches {@code destination} now ({@code ip route get}). */
    static Path route(Commands commands, InetAddress destination) throws IOException {
        return route(commands, destination, null);
    }

    /** The same for packets that carry the firewall mark {@code mark} (e.g. "0x6d76"), or none when null. */
    static Path route(Commands commands, InetAddress destination, String mark) throws IOException {
        List<String> words = new java.util.ArrayList<>(List.of("ip", family(destination), "route", "get",
                Addresses.text(destination)));
        if (mark != null) {
            words.addAll(List.of("mark", mark));
        }
        Commands.Result r = commands.run(commands.argv(words.toArray(String[]::new)), null);
        if (!r.ok()) {
            throw new IOException("cannot find the route to the server " + Addresses.text(destination) + ": `"
                    + String.join(" ", r.argv()) + "` failed: " + r.reason() + "; check the network connection");
        }
        return parseRouteGet(r.output()).orElseThrow(() -> new IOException("cannot read the route to "
                + Addresses.text(destination) + " from `" + String.join(" ", r.argv()) + "`: " + r.output()));
    }

    /**
     * Parses the first line of {@code ip route get}, e.g. {@code 198.18.21.1 via 198.18.20.1 dev eth0
     * src 198.18.20.2 uid 0}, or {@code local 127.0.0.1 dev lo ...}.
     */
    static Optional<Path> parseRouteGet(String output) {
        String first = output.strip().lines().findFirst().orElse("");
        List<String> words = List.of(first.split("\\s+"));
        String device = after(words, "dev");
        if (device == null) {
            return Optional.empty();
        }
        return Optional.of(new Path(after(words, "via"), device, words.get(0).equals("local")));
    }

    /**
     * The interface the default route leaves by ({@code ip route show default}), for the given
     * family ("-4" or "-6").
     */
    static String defaultDevice(Commands commands, String family) throws IOException {
        List<String> argv = commands.argv("ip", family, "route", "show", "default");
        String output = commands.check(argv, null);
        for (String line : output.lines().toList()) {
            String dev = after(List.of(line.strip().split("\\s+")), "dev");
            if (dev != null) {
                return dev;
            }
        }
        throw new IOException("there is no default route (`" + String.join(" ", argv) + "` shows none) to find the"
                + " interface clients' traffic leaves by: set egressInterface, or add a default route");
    }

    /** "-4" or "-6", the {@code ip} option for the address's family. */
    static String family(InetAddress a) {
        return a instanceof Inet4Address ? "-4" : "-6";
    }

    private static String after(List<String> words, String key) {
        int i = words.indexOf(key);
        return i >= 0 && i + 1 < words.size() ? words.get(i + 1) : null;
    }
}

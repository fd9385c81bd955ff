package org.minivpn.route.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minivpn.api.route.ClientRoutes;

/**
 * The changes that make a client use the resolvers its server pushed, undone with its routes:
 * <ul>
 * <li>where systemd-resolved serves this machine, per link, as {@code resolvectl} does for
 *     OpenVPN's update-systemd-resolved: the resolvers on the TUN, and for a full tunnel the
 *     routing domain {@code ~.} so that every lookup goes to them; undone by
 *     {@code resolvectl revert};
 * <li>elsewhere by rewriting {@code /etc/resolv.conf} in place, as OpenVPN's update-resolv-conf
 *     and wg-quick (through resolvconf) do: the original is first copied, synced, beside the
 *     routing journal, and written back byte for byte on undo, by the journal's replay after a
 *     crash too, even after a reboot ({@link FileSteps}).
 * </ul>
 * A configurator that acts in another network namespace ({@code netns}) rewrites only that
 * namespace's {@code /etc/netns/NAME/resolv.conf} (what {@code ip netns exec} shows as
 * /etc/resolv.conf), never the one of the namespace it runs in.
 */
final class DnsPlan {

    /** How resolvers are applied: {@code auto}, {@code resolvectl} or {@code file}. */
    enum Method { AUTO, RESOLVECTL, FILE }

    /**
     * The DNS part of the configuration.
     *
     * @param method how to apply resolvers
     * @param resolvConf the file rewritten by {@link Method#FILE}
     * @param copy where the original is kept while rewritten (beside the journal)
     */
    record Settings(Method method, Path resolvConf, Path copy) {

        static Settings of(String method, String resolvConf, Path journal) {
            Method m;
            try {
                m = Method.valueOf(method == null || method.isBlank() ? "AUTO" : method.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dns.method = " + method + " in " + LinuxRouteConfigurator.PID
                        + " is none of auto, resolvectl, file");
            }
            return new Settings(m, Path.of(resolvConf == null || resolvConf.isBlank() ? "/etc/resolv.conf" : resolvConf),
                    copyOf(journal));
        }

        /** Where the original resolv.conf is kept: beside the journal, named after it. */
        static Path copyOf(Path journal) {
            return journal.resolveSibling(journal.getFileName() + COPY_SUFFIX);
        }
    }

    static final String COPY_SUFFIX = ".resolv.conf";

    /** glibc reads the first three nameserver lines and ignores the rest. */
    static final int RESOLV_CONF_SERVERS = 3;

    /** systemd-resolved's stub listeners, as its stub-resolv.conf names them. */
    private static final List<String> RESOLVED_STUBS = List.of("nameserver 127.0.0.53", "nameserver 127.0.0.54");

    private static final Logger LOG = System.getLogger(DnsPlan.class.getName());

    private DnsPlan() {
    }

    /** The changes for {@code r}'s resolvers; none when it has none. Reads, changes nothing. */
    static List<Change> of(ClientRoutes r, Settings settings, Commands commands) throws IOException {
        if (r.dns().isEmpty()) {
            return List.of();
        }
        String tun = Interfaces.check(r.tunName());
        Method method = settings.method() == Method.AUTO ? detect(settings, commands) : settings.method();
        if (method == Method.RESOLVECTL) {
            return resolvectl(r, tun, commands);
        }
        Path file = settings.resolvConf();
        if (!commands.netns().isEmpty()) {
            file = Path.of("/etc/netns", commands.netns(), "resolv.conf");
            if (!Files.exists(file)) {
                LOG.log(Level.WARNING, "the network namespace " + commands.netns() + " has no " + file + " of its own:"
                        + " its name resolution is the host's, which is left alone; the pushed resolvers "
                        + r.dns() + " are not used");
                return List.of();
            }
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " does not exist (or is no file), so the pushed resolvers cannot be put in it:"
                    + " create it, or set dns = off in configs/org.minivpn.relay.client.cfg to leave name resolution"
                    + " alone");
        }
        return resolvConf(r, tun, file, settings.copy());
    }

    /**
     * systemd-resolved serves this machine's lookups when resolv.conf points at its stub and
     * {@code resolvectl} answers. Never from inside a network namespace of our own: resolved
     * belongs to the host's, and would apply the TUN's name to a link of the host.
     */
    static Method detect(Settings settings, Commands commands) {
        if (!commands.netns().isEmpty() || !inInitialNetworkNamespace()) {
            return Method.FILE;
        }
        try {
            String text = Files.readString(settings.resolvConf(), StandardCharsets.ISO_8859_1);
            boolean stub = text.lines().map(String::strip).anyMatch(RESOLVED_STUBS::contains)
                    || (Files.isSymbolicLink(settings.resolvConf())
                        && Files.readSymbolicLink(settings.resolvConf()).toString().contains("/systemd/resolve/"));
            if (stub && commands.run(commands.argv("resolvectl", "--no-pager", "status"), null).ok()) {
                return Method.RESOLVECTL;
            }
        } catch (IOException e) {
            // no resolv.conf, or no resolvectl: rewriting the file is what is left
        }
        return Method.FILE;
    }

    /** False when this process runs in a network namespace other than init's (as root; else unknown, so true). */
    static boolean inInitialNetworkNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/1/ns/net")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true;
        }
    }

    private static List<Change> resolvectl(ClientRoutes r, String tun, Commands commands) {
        List<Change> changes = new ArrayList<>();
        List<String> dns = new ArrayList<>(List.of("resolvectl", "dns", tun));
        r.dns().forEach(a -> dns.add(Addresses.text(a)));
        List<String> revert = commands.argv("resolvectl", "revert", tun);
        changes.add(new Change("resolvectl dns " + tun + " " + String.join(" ", dns.subList(3, dns.size())),
                commands.argv(dns.toArray(String[]::new)), null, revert, Change.Skip.NEVER));
        List<String> domains = new ArrayList<>();
        if (r.fullTunnel()) {
            domains.add("~."); // every lookup goes to this link's resolvers (systemd-resolved's routing domain)
        }
        domains.addAll(r.dnsSearch());
        if (!domains.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("resolvectl", "domain", tun));
            argv.addAll(domains);
            changes.add(new Change("resolvectl domain " + tun + " " + String.join(" ", domains),
                    commands.argv(argv.toArray(String[]::new)), null, revert, Change.Skip.NEVER));
        }
        return changes;
    }

    private static List<Change> resolvConf(ClientRoutes r, String tun, Path file, Path copy) {
        String f = file.toString();
        String c = copy.toString();
        String text = text(r, tun);
        String servers = String.join(" ", r.dns().stream().limit(RESOLV_CONF_SERVERS).map(Addresses::text).toList());
        return List.of(
                new Change("saved " + f + " to " + c, List.of(FileSteps.SAVE, f, c), null,
                        List.of(FileSteps.DELETE, c), Change.Skip.NEVER),
                new Change(f + ": nameserver " + servers + (r.dnsSearch().isEmpty() ? "" : ", search "
                        + String.join(" ", r.dnsSearch())) + " (the original comes back on disconnect)",
                        List.of(FileSteps.WRITE, f), text, List.of(FileSteps.RESTORE, c, f), Change.Skip.NEVER));
    }

    /** What resolv.conf says while connected: the first three resolvers, and the search domains. */
    static String text(ClientRoutes r, String tun) {
        StringBuilder s = new StringBuilder("# Written by MiniVPN while connected through " + tun
                + ": the resolvers its server pushed.\n# The original is put back on disconnect (and at the next"
                + " start after a crash).\n");
        if (r.dns().size() > RESOLV_CONF_SERVERS) {
            s.append("# ").append(r.dns().size() - RESOLV_CONF_SERVERS).append(" more pushed resolver(s) left out:"
                    + " the C library reads ").append(RESOLV_CONF_SERVERS).append(".\n");
        }
        for (InetAddress a : r.dns().subList(0, Math.min(RESOLV_CONF_SERVERS, r.dns().size()))) {
            s.append("nameserver ").append(Addresses.text(a)).append('\n');
        }
        if (!r.dnsSearch().isEmpty()) {
            s.append("search ").append(String.join(" ", r.dnsSearch())).append('\n');
        }
        return s.toString();
    }

    /**
     * True for the file steps of this plan's undo, as a journal must hold them: a saved copy (named
     * {@code *.resolv.conf}) written back over a file named {@code resolv.conf}, or deleted.
     */
    static boolean undoesOnlyResolvConf(List<String> argv) {
        if (argv.size() == 2 && argv.get(0).equals(FileSteps.DELETE)) {
            return argv.get(1).endsWith(COPY_SUFFIX);
        }
        return argv.size() == 3 && argv.get(0).equals(FileSteps.RESTORE) && argv.get(1).endsWith(COPY_SUFFIX)
                && Path.of(argv.get(2)).getFileName().toString().equals("resolv.conf");
    }
}

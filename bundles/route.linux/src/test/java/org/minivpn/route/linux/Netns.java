package org.minivpn.route.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.minivpn.testsupport.Needs;
import org.minivpn.testsupport.TestNetns;

/**
 * A network namespace that a test creates and deletes: every name starts with "mvrt-" (or a prefix
 * of the test's own) and holds this JVM's pid, so tests never meet anyone else's namespaces. Setup commands run with
 * {@code ip -n} or {@code ip netns exec}, so none of them can act in the root namespace.
 */
final class Netns implements AutoCloseable {

    private static final AtomicInteger SEQ = new AtomicInteger();

    final String name;

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Creates a namespace named {@code mvrt-<tag>-<pid>-<n>}, with its loopback up and IPv6
     * duplicate address detection off, so that link-local addresses (and their routes) appear as
     * soon as a link is up rather than a second later, in the middle of a comparison.
     */
    static Netns create(String tag) throws IOException {
        return create("mvrt", tag);
    }

    /** The same, named {@code <prefix>-<tag>-<pid>-<n>}. */
    static Netns create(String prefix, String tag) throws IOException {
        Netns ns = new Netns(prefix + "-" + tag + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        run("ip", "netns", "add", ns.name);
        try {
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
            ns.ip("link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /**
     * Skips the calling test unless it runs as root with what the configurator runs (ip, nft,
     * sysctl, ss) and {@code more}: one line names what is missing and its Debian package.
     */
    static void require(String... more) {
        List<String> programs = new ArrayList<>(List.of("ip", "nft", "sysctl", "ss"));
        programs.addAll(List.of(more));
        Needs.root(programs.toArray(String[]::new));
    }

    /**
     * A configurator whose every command runs inside this namespace (never the root one), with its
     * journal at {@code journal}.
     */
    LinuxRouteConfigurator configurator(Path journal) {
        return new LinuxRouteConfigurator(journal, name, java.time.Duration.ofSeconds(10));
    }

    /** Runs {@code ip -n <this> args...}; returns its output or throws with it. */
    String ip(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** Runs a program inside this namespace ({@code ip netns exec}); returns its output or throws. */
    String exec(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** A veth pair from this namespace to another, both ends created inside their namespaces. */
    void veth(String here, Netns other, String there) throws IOException {
        ip("link", "add", here, "type", "veth", "peer", "name", there, "netns", other.name);
        ip("link", "set", here, "up");
        other.ip("link", "set", there, "up");
    }

    /** Every route of both families, all tables: what "exactly the original" compares. */
    String routes() throws IOException {
        return ip("-4", "route", "show", "table", "all") + "\n--\n" + ip("-6", "route", "show", "table", "all");
    }

    /** The policy rules of both families. */
    String rules() throws IOException {
        return ip("-4", "rule", "show") + "\n--\n" + ip("-6", "rule", "show");
    }

    /** The main-table routes of both families, one a line. */
    List<String> mainRoutes() throws IOException {
        List<String> all = new ArrayList<>(ip("-4", "route", "show").lines().map(String::strip).toList());
        all.addAll(ip("-6", "route", "show").lines().map(String::strip).toList());
        return all;
    }

    /** The nftables ruleset of this namespace. */
    String ruleset() throws IOException {
        return exec("nft", "list", "ruleset");
    }

    String sysctl(String key) throws IOException {
        return exec("sysctl", "-n", key).strip();
    }

    @Override
    public void close() {
        try {
            run("ip", "netns", "del", name);
        } catch (IOException e) {
            System.err.println("could not delete network namespace " + name + ": " + e.getMessage());
        }
    }

    /** Runs a command with a 10 s timeout; returns its output (stdout and stderr) or throws with it. */
    static String run(String... argv) throws IOException {
        return TestNetns.run(argv);
    }
}

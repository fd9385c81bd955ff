package org.minivpn.distribution;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;

/**
 * The Pax Exam options that boot exactly the distribution's bundle set (target/minivpn/bundle),
 * with Gogo headless and every folder of the appliance under target/.
 */
public final class ApplianceOptions {

    private ApplianceOptions() {
    }

    /** The distribution folder assembled by the build. */
    public static Path dist() {
        return Path.of(System.getProperty("minivpn.dist", "target/minivpn")).toAbsolutePath();
    }

    /**
     * Options for a framework whose installation folder (configs/, deploy/, run/) is
     * {@code target/it/<name>}, emptied first.
     */
    public static Option[] appliance(String name) {
        Path home = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve(name);
        try {
            deleteTree(home);
            for (String dir : List.of("configs", "deploy", "run", "etc", "pki")) {
                Files.createDirectories(home.resolve(dir));
            }
            Files.writeString(home.resolve("etc").resolve("gosh_profile"), "# empty: no interactive shell in tests\n");
            webOnAnyPort(home.resolve("configs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Option> options = new ArrayList<>();
        for (Path jar : bundles()) {
            options.add(bundle(jar.toUri().toString()));
        }
        options.add(junitBundles());
        options.add(cleanCaches(true));
        options.add(workingDirectory(home.resolve("run").resolve("paxexam").toString()));
        options.add(frameworkProperty("minivpn.home").value(home.toString()));
        options.add(frameworkProperty("minivpn.control.socket").value(home.resolve("run/minivpn.sock").toString()));
        // Added to what Pax Exam exports from the system bundle itself, not instead of it.
        options.add(systemPackage("jdk.net"));
        options.add(frameworkProperty("gosh.args").value("--nointeractive --noshutdown"));
        options.add(frameworkProperty("gosh.home").value(home.toString()));
        options.add(frameworkProperty("felix.fileinstall.dir").value(home.resolve("configs") + "," + home.resolve("deploy")));
        options.add(frameworkProperty("felix.fileinstall.filter").value(".*\\.(cfg|config|jar)"));
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        options.add(frameworkProperty("felix.fileinstall.enableConfigSave").value("false"));
        options.add(systemProperty("org.jline.terminal.dumb").value("true"));
        // As conf/config.properties: Jetty listens only where the status page's component says.
        options.add(frameworkProperty("org.apache.felix.http.require.config").value("true"));
        options.add(frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"));
        options.add(systemProperty("jna.tmpdir").value(home.resolve("run/jna").toString()));
        return options.toArray(Option[]::new);
    }

    /**
     * Writes configs/org.minivpn.web.cfg for a status page on loopback at any free port: tests run side
     * by side with each other and with an appliance on this host, which holds port 8023.
     */
    static void webOnAnyPort(Path configs) throws IOException {
        Files.writeString(configs.resolve("org.minivpn.web.cfg"), "bind = 127.0.0.1\nport = 0\n");
    }

    /** The distribution's bundle jars, sorted by name. */
    public static List<Path> bundles() {
        try (Stream<Path> s = Files.list(dist().resolve("bundle"))) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the distribution is not assembled; run mvn verify, not only the tests", e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}

package org.minivpn.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.minivpn.control.ControlClient;
import org.minivpn.control.PrivateFolder;
import org.minivpn.launcher.Main.LaunchException;
import org.minivpn.launcher.Main.Options;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * One run of the appliance from its installation folder: framework properties from
 * {@code conf/config.properties}, every jar in {@code bundle/} installed and started, then the
 * startup commands through the control socket.
 *
 * <p>All state lives under the installation folder ({@code run/}), so two copies of the
 * distribution run side by side without sharing anything; {@code run/minivpn.lock} keeps a second
 * process off the same copy.
 */
final class Appliance {

    static final String HOME_PROPERTY = "minivpn.home";
    private static final String START_LAST = "org.apache.felix.gogo.jline";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /** Longer than the control bundle's own bound on configuration files (30 s). */
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final Path home;
    private final Options options;
    private final PrintStream log;
    private final Path run;
    private final Path socket;

    Appliance(Path home, Options options, PrintStream log) {
        this.home = home;
        this.options = options;
        this.log = log;
        this.run = home.resolve("run");
        this.socket = run.resolve("minivpn.sock");
    }

    /** Starts the framework, runs the startup commands and waits for the framework to stop. */
    int runUntilStopped() throws LaunchException {
        Map<String, String> config = frameworkProperties();
        Termination termination = Termination.onSigterm(log);
        try (FileChannel lockFile = lock()) {
            Framework framework;
            try {
                framework = start(config, termination);
            } catch (LaunchException e) {
                if (termination.requested()) {
                    log.println("minivpn: stopped by SIGTERM while starting");
                    return 0;
                }
                throw e;
            }
            Thread hook = new Thread(() -> stop(framework), "minivpn-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            int status = runStartupCommands(framework);
            try {
                framework.waitForStop(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return status;
        } catch (IOException e) {
            throw new LaunchException("cannot use " + run + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> frameworkProperties() throws LaunchException {
        Path file = home.resolve("conf").resolve("config.properties");
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new LaunchException("cannot read " + file + " (" + e.getMessage()
                    + "): the installation is incomplete; rebuild it with 'mvn -DskipTests package'", e);
        }
        Map<String, String> vars = new HashMap<>();
        vars.put(HOME_PROPERTY, home.toString());
        Map<String, String> config = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            config.put(key, substitute(p.getProperty(key), vars));
        }
        config.put(HOME_PROPERTY, home.toString());
        config.put("minivpn.control.socket", socket.toString());
        config.put(Constants.FRAMEWORK_STORAGE, run.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("gosh.home", home.toString());
        config.put("gosh.args", options.headless() ? "--nointeractive --noshutdown" : "");
        if (options.headless()) {
            System.setProperty("org.jline.terminal.dumb", "true"); // no terminal to look for
        }
        // Anything given with -D on the command line wins over the file.
        for (String key : config.keySet().toArray(String[]::new)) {
            String override = System.getProperty(key);
            if (override != null && !key.equals(HOME_PROPERTY)) {
                config.put(key, override);
            }
        }
        return config;
    }

    static String substitute(String value, Map<String, String> vars) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = vars.getOrDefault(name, System.getProperty(name, ""));
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        return m.appendTail(out).toString();
    }

    /**
     * Makes {@code run/} private (0700; see {@link PrivateFolder}) before anything is written there,
     * then takes the lock that keeps a second process off this copy.
     */
    private FileChannel lock() throws IOException, LaunchException {
        for (String warning : PrivateFolder.ensure(run)) {
            log.println("minivpn: warning: " + warning);
        }
        Path file = run.resolve("minivpn.lock");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        FileLock lock = ch.tryLock();
        if (lock == null) {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
            ch.close();
            throw new LaunchException("this copy of MiniVPN is already running" + (pid.isEmpty() ? "" : " (pid " + pid + ")")
                    + " from " + home + ": use bin/minivpn-ctl to talk to it, or run another copy of the distribution");
        }
        ch.truncate(0);
        ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
        return ch;
    }

    private Framework start(Map<String, String> config, Termination termination) throws LaunchException {
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new LaunchException("no OSGi framework in lib/: the installation is incomplete"));
        Map<String, Object> withLog = new HashMap<>(config);
        withLog.put("felix.log.logger", new FrameworkLog(log));
        @SuppressWarnings({"unchecked", "rawtypes"})
        Framework framework = factory.newFramework((Map) withLog);
        termination.stopWith(() -> stop(framework));
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        FrameworkListener errors = e -> {
            if (e.getType() == FrameworkEvent.ERROR && e.getThrowable() != null) {
                problems.add(e.getBundle().getSymbolicName() + ": " + rootMessage(e.getThrowable()));
            }
        };
        try {
            framework.init(errors);
            framework.getBundleContext().addFrameworkListener(errors);
            List<Bundle> bundles = install(framework);
            // The interactive shell comes last, so that its prompt appears once everything is up.
            // Headless there is no prompt: the shell starts with the rest, and ready means all active.
            List<Bundle> first = bundles.stream().filter(b -> options.headless() || !START_LAST.equals(b.getSymbolicName())).toList();
            for (Bundle b : first) {
                if (!isFragment(b)) {
                    b.start();
                }
            }
            framework.start();
            checkActive(first, problems);
            if (problems.isEmpty()) {
                announceReady();
                List<Bundle> last = bundles.stream().filter(b -> !first.contains(b)).toList();
                for (Bundle b : last) {
                    b.start();
                }
                checkActive(last, problems);
            }
        } catch (BundleException e) {
            problems.add(rootMessage(e));
        }
        if (!problems.isEmpty()) {
            stop(framework);
            throw new LaunchException("the appliance could not start:\n  " + String.join("\n  ", problems)
                    + "\nrebuild the distribution ('mvn -DskipTests package') or remove the offending jar from "
                    + home.resolve("bundle"));
        }
        return framework;
    }

    /**
     * Waits until the control socket says the appliance is ready (bundles active, configuration
     * files taken: the control bundle's Readiness), the same point {@code minivpn-ctl --wait-ready}
     * waits for, and prints "MiniVPN ready", or what it still waited for after {@link #READY_WAIT}.
     */
    private void announceReady() {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        if (ControlClient.awaitReady(socket, READY_WAIT, said) == 0) {
            log.println("MiniVPN ready in " + sinceLaunch() + " ms (" + home + ")"
                    + (options.headless() ? "; headless, control it with bin/minivpn-ctl" : "; type help for commands"));
        } else {
            log.print(said.toString(StandardCharsets.UTF_8).replace("minivpn-ctl:", "minivpn:"));
        }
    }

    private static boolean isFragment(Bundle b) {
        return b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
    }

    private static void checkActive(List<Bundle> bundles, List<String> problems) {
        for (Bundle b : bundles) {
            if (!isFragment(b) && b.getState() != Bundle.ACTIVE) {
                problems.add(b.getSymbolicName() + " is not active (state " + b.getState() + ")");
            }
        }
    }

    private List<Bundle> install(Framework framework) throws LaunchException, BundleException {
        Path dir = home.resolve("bundle");
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new LaunchException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (jars.isEmpty()) {
            throw new LaunchException("no bundles in " + dir + ": the installation is incomplete");
        }
        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars) {
            // By reference: the framework reads the jar in place instead of copying it to its cache.
            bundles.add(framework.getBundleContext().installBundle("reference:" + jar.toUri()));
        }
        return bundles;
    }

    private int runStartupCommands(Framework framework) {
        if (options.commands().isEmpty()) {
            return 0;
        }
        for (String command : options.commands()) {
            int status = ControlClient.run(socket, command, System.out, System.err, COMMAND_TIMEOUT);
            if (status != 0) {
                log.println("minivpn: startup command '" + command + "' failed (status " + status + "); stopping");
                stop(framework);
                return 1;
            }
        }
        return 0;
    }

    /** Stops the framework and waits for it; true when it stopped within {@link #STOP_TIMEOUT}. */
    private boolean stop(Framework framework) {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                framework.stop();
            }
            FrameworkEvent e = framework.waitForStop(STOP_TIMEOUT.toMillis());
            if (e.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                log.println("minivpn: the framework did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
                return false;
            }
            return true;
        } catch (BundleException e) {
            log.println("minivpn: stopping the framework failed: " + rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Milliseconds since bin/minivpn started, or since the JVM did when run otherwise. */
    private static long sinceLaunch() {
        String launched = System.getProperty("minivpn.launched", "");
        if (launched.matches("\\d{13}")) {
            return System.currentTimeMillis() - Long.parseLong(launched);
        }
        return ProcessHandle.current().info().startInstant()
                .map(t -> Duration.between(t, Instant.now()).toMillis()).orElse(-1L);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = t.getMessage();
        if (root != t && root.getMessage() != null) {
            m = m + ": " + root.getMessage();
        }
        return m != null ? m : t.toString();
    }
}

package org.minivpn.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.pki.PkiException;
import org.minivpn.pki.ProfileImport;

/**
 * {@code bin/minivpn}: runs the appliance in the foreground until the framework stops.
 *
 * <pre>
 * minivpn [--headless] [-c COMMAND]...
 * minivpn --import FILE [--force]
 * </pre>
 *
 * <p>Exit status: 0 after a clean stop ({@code stop 0}, {@code exit}, SIGTERM), 1 when the appliance could not start or a startup command
 * failed, 2 for a usage error.
 */
public final class Main {

    static final String USAGE = """
            usage: minivpn [--headless] [-c COMMAND]...
                   minivpn --import FILE [--force]
              -c, --command COMMAND  run a Gogo command once the appliance is up, e.g. -c 'vpn:serve';
                                     may be given several times; a failing command stops the appliance
              --headless             no interactive shell (the default when stdin or stdout is not a
                                     terminal); control it with bin/minivpn-ctl, stop it with SIGTERM
              --import FILE          put a client profile (vpn:pki export NAME --profile FILE) in place
                                     in this installation, then exit; the appliance is not started
              --force                with --import: replace this installation's certificate, key or server
              -h, --help             this text""";

    private Main() {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args, System.console() == null);
        } catch (IllegalArgumentException e) {
            System.err.println("minivpn: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(USAGE);
            return;
        }
        Path home = Path.of(System.getProperty(Appliance.HOME_PROPERTY, ".")).toAbsolutePath().normalize();
        if (options.importFile() != null) {
            System.exit(importProfile(home, Path.of(options.importFile()), options.force()));
            return;
        }
        int status;
        try {
            status = new Appliance(home, options, System.err).runUntilStopped();
        } catch (LaunchException e) {
            System.err.println("minivpn: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    /**
     * {@code --import}: outside the framework, so that the appliance's components start with the
     * profile's files in place; an appliance already running from this folder picks the changed
     * configuration files up as after {@code vpn:import}. A relative FILE is relative to the
     * working folder, as a shell user means it.
     */
    static int importProfile(Path home, Path file, boolean force) {
        try {
            System.out.println(new ProfileImport(home).importFile(file.toAbsolutePath(), force));
            return 0;
        } catch (PkiException e) {
            System.err.println("minivpn: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Command-line options of {@code bin/minivpn}.
     *
     * @param importFile the profile of {@code --import}, or null to run the appliance
     * @param force {@code --force}: the import may replace what the installation has
     */
    record Options(boolean headless, List<String> commands, boolean help, String importFile, boolean force) {

        static Options parse(String[] args, boolean noTerminal) {
            boolean headless = noTerminal;
            boolean help = false;
            boolean force = false;
            String importFile = null;
            List<String> commands = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--headless" -> headless = true;
                    case "-h", "--help" -> help = true;
                    case "-c", "--command" -> {
                        if (i + 1 == args.length || args[i + 1].isBlank()) {
                            throw new IllegalArgumentException(args[i] + " needs a Gogo command, e.g. -c 'vpn:status'");
                        }
                        commands.add(args[++i]);
                    }
                    case "--import" -> {
                        if (i + 1 == args.length || args[i + 1].isBlank()) {
                            throw new IllegalArgumentException("--import needs a profile, e.g. --import alice.minivpn");
                        }
                        importFile = args[++i];
                    }
                    case "-f", "--force" -> force = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            if (force && importFile == null) {
                throw new IllegalArgumentException("--force goes with --import FILE");
            }
            if (importFile != null && !commands.isEmpty()) {
                throw new IllegalArgumentException("--import runs on its own: import, then start the appliance with -c");
            }
            return new Options(headless, List.copyOf(commands), help, importFile, force);
        }
    }

    /** Why the appliance could not start, in words that say what to do. */
    static final class LaunchException extends Exception {
        private static final long serialVersionUID = 1L;

        LaunchException(String message) {
            super(message);
        }

        LaunchException(String message, IOException cause) {
            super(message, cause);
        }
    }

    static void println(PrintStream out, String text) {
        out.println(text);
        out.flush();
    }
}

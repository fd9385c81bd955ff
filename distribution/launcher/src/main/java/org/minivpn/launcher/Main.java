package org.minivpn.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/minivpn}: runs the appliance in the foreground until the framework stops.
 *
 * <pre>
 * minivpn [--headless] [-c COMMAND]...
 * </pre>
 *
 * <p>Exit status: 0 after a clean stop ({@code stop 0}, {@code exit}, SIGTERM), 1 when the appliance could not start or a startup command
 * failed, 2 for a usage error.
 */
public final class Main {

    static final String USAGE = """
            usage: minivpn [--headless] [-c COMMAND]...
              -c, --command COMMAND  run a Gogo command once the appliance is up, e.g. -c 'vpn:serve';
                                     may be given several times; a failing command stops the appliance
              --headless             no interactive shell (the default when stdin or stdout is not a
                                     terminal); control it with bin/minivpn-ctl, stop it with SIGTERM
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
        int status;
        try {
            status = new Appliance(home, options, System.err).runUntilStopped();
        } catch (LaunchException e) {
            System.err.println("minivpn: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    /** Command-line options of {@code bin/minivpn}. */
    record Options(boolean headless, List<String> commands, boolean help) {

        static Options parse(String[] args, boolean noTerminal) {
            boolean headless = noTerminal;
            boolean help = false;
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
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            return new Options(headless, List.copyOf(commands), help);
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

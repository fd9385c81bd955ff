package org.minivpn.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one Gogo command in a running appliance through its control socket, outside the framework:
 * {@code minivpn-ctl [--socket PATH] [--timeout SECONDS] [--wait-ready [SECONDS]] [COMMAND...]}.
 *
 * <p>Exit status: the command's (0 success, 1 failed), 2 when refused or misused, 3 when no
 * appliance answers, 4 when the command did not finish within the timeout (or the appliance was not
 * ready within the wait), 5 when the appliance is still starting.
 */
public final class ControlClient {

    /** Exit status when no appliance listens on the socket. */
    public static final int NOT_RUNNING = 3;
    /** Exit status when the command did not finish in time. */
    public static final int TIMED_OUT = 4;
    /** Exit status when the appliance is still starting: it runs commands once ready. */
    public static final int STARTING = Frames.STATUS_STARTING;

    /** How long {@code --wait-ready} waits when given no number of seconds. */
    static final Duration DEFAULT_READY_WAIT = Duration.ofSeconds(60);
    private static final long READY_POLL_MILLIS = 100;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    private static final String USAGE = """
            usage: minivpn-ctl [--socket PATH] [--timeout SECONDS] [--wait-ready [SECONDS]] [<gogo command>]
              e.g. minivpn-ctl lb   or   minivpn-ctl vpn:status
              --wait-ready [SECONDS]  wait until the appliance is ready (default 60 s), then run the
                                      command if one is given; exit 4 when it was not ready in time""";

    private ControlClient() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("minivpn-ctl: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o.readyWait() != null) {
            int status = awaitReady(o.socket(), o.readyWait(), System.err);
            if (status != 0 || o.command().isEmpty()) {
                System.exit(status);
            }
        }
        System.exit(run(o.socket(), o.command(), System.out, System.err, o.timeout()));
    }

    /**
     * Command-line options: the socket, the command's timeout, how long to wait for readiness
     * first (null: not at all), and the command ("" for none, only with {@code --wait-ready}).
     */
    record Options(Path socket, Duration timeout, Duration readyWait, String command) {

        static Options parse(String[] args) {
            Path socket = Path.of("run", "minivpn.sock");
            Duration timeout = Duration.ofSeconds(120);
            Duration readyWait = null;
            int i = 0;
            while (i < args.length && args[i].startsWith("--")) {
                String option = args[i++];
                if (option.equals("--")) {
                    break;
                }
                if (option.equals("--wait-ready")) {
                    // The number of seconds is optional: a Gogo command is never all digits.
                    boolean given = i < args.length && args[i].matches("\\d{1,6}");
                    readyWait = given ? Duration.ofSeconds(Long.parseLong(args[i++])) : DEFAULT_READY_WAIT;
                    continue;
                }
                if (i == args.length) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                switch (option) {
                    case "--socket" -> socket = Path.of(args[i++]);
                    case "--timeout" -> timeout = seconds(option, args[i++]);
                    default -> throw new IllegalArgumentException("unknown option " + option);
                }
            }
            String command = String.join(" ", Arrays.copyOfRange(args, i, args.length));
            if (command.isBlank() && readyWait == null) {
                throw new IllegalArgumentException("no command given");
            }
            return new Options(socket, timeout, readyWait, command);
        }

        private static Duration seconds(String option, String value) {
            try {
                return Duration.ofSeconds(Long.parseLong(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a number of seconds, not '" + value + "'");
            }
        }
    }

    /**
     * Waits until the appliance at {@code socket} is ready for commands: its control socket exists
     * and answers the readiness probe (an empty command) with 0. Returns 0 once ready,
     * {@link #TIMED_OUT} after {@code wait} (saying on {@code err} what it last waited for), or
     * the status of a refusal that waiting cannot cure (another user's appliance).
     */
    public static int awaitReady(Path socket, Duration wait, OutputStream err) {
        long deadline = System.nanoTime() + wait.toNanos();
        String last = "no control socket at " + socket + ": is the appliance running? (bin/minivpn starts it)";
        while (true) {
            if (Files.exists(socket)) {
                ByteArrayOutputStream said = new ByteArrayOutputStream();
                int status = run(socket, "", OutputStream.nullOutputStream(), said, PROBE_TIMEOUT);
                if (status == 0) {
                    return 0;
                }
                if (status == Frames.STATUS_REFUSED) {
                    copy(said, err);
                    return status;
                }
                // Starting, or a socket left by a process that died while the new one starts.
                String text = said.toString(StandardCharsets.UTF_8).strip();
                last = text.isEmpty() ? "status " + status : text.replaceFirst("^minivpn-ctl: ", "");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                message(err, "the appliance was not ready within " + wait.toSeconds() + " s; last: " + last);
                return TIMED_OUT;
            }
            sleep(Math.min(READY_POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
        }
    }

    private static void copy(ByteArrayOutputStream from, OutputStream to) {
        try {
            from.writeTo(to);
            to.flush();
        } catch (IOException e) {
            // nowhere left to report to
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends {@code command} to the appliance listening on {@code socket}, copies its output to
     * {@code out} and {@code err} as it comes, and returns its exit status.
     */
    public static int run(Path socket, String command, OutputStream out, OutputStream err, Duration timeout) {
        if (!Files.exists(socket)) {
            message(err, "no MiniVPN appliance is running here (no control socket at " + socket
                    + "): start one with bin/minivpn");
            return NOT_RUNNING;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "control-client-timeout");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean timedOut = new AtomicBoolean();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            timer.schedule(() -> {
                timedOut.set(true);
                try {
                    ch.close();
                } catch (IOException e) {
                    // closing only to wake the reader
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] request = command.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + request.length).putInt(request.length).put(request).flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return readReply(ch, out, err);
        } catch (IOException e) {
            if (timedOut.get()) {
                message(err, "the command did not finish within " + timeout.toSeconds()
                        + " s; it may still be running in the appliance (check with vpn:status)");
                return TIMED_OUT;
            }
            message(err, "cannot talk to the appliance at " + socket + ": " + e.getMessage()
                    + " (is it running, and are you its user or root?)");
            return NOT_RUNNING;
        } finally {
            timer.shutdownNow();
        }
    }

    private static int readReply(SocketChannel ch, OutputStream out, OutputStream err) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(5);
        while (true) {
            header.clear();
            if (!readFully(ch, header)) {
                throw new IOException("the appliance closed the connection without an exit status");
            }
            byte type = header.get(0);
            int len = header.getInt(1);
            if (len < 0 || len > Frames.MAX_FRAME) {
                throw new IOException("malformed reply (frame of " + len + " bytes)");
            }
            ByteBuffer body = ByteBuffer.allocate(len);
            if (!readFully(ch, body)) {
                throw new IOException("the reply ended mid-frame");
            }
            switch (type) {
                case Frames.OUT -> {
                    out.write(body.array(), 0, len);
                    out.flush();
                }
                case Frames.ERR -> {
                    err.write(body.array(), 0, len);
                    err.flush();
                }
                case Frames.EXIT -> {
                    return body.getInt(0);
                }
                default -> throw new IOException("malformed reply (frame type " + type + ")");
            }
        }
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void message(OutputStream err, String text) {
        try {
            err.write(("minivpn-ctl: " + text + "\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException e) {
            // nowhere left to report to
        }
    }
}

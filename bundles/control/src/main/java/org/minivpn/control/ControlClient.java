package org.minivpn.control;

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
 * {@code minivpn-ctl [--socket PATH] [--timeout SECONDS] COMMAND...}.
 *
 * <p>Exit status: the command's (0 success, 1 failed), 2 when refused or misused, 3 when no
 * appliance answers, 4 when the command did not finish within the timeout.
 */
public final class ControlClient {

    /** Exit status when no appliance listens on the socket. */
    public static final int NOT_RUNNING = 3;
    /** Exit status when the command did not finish in time. */
    public static final int TIMED_OUT = 4;

    private ControlClient() {
    }

    public static void main(String[] args) {
        Path socket = Path.of("run", "minivpn.sock");
        Duration timeout = Duration.ofSeconds(120);
        int i = 0;
        try {
            while (i < args.length && args[i].startsWith("--")) {
                String option = args[i++];
                if (option.equals("--")) {
                    break;
                }
                if (i == args.length) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                switch (option) {
                    case "--socket" -> socket = Path.of(args[i++]);
                    case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(args[i++]));
                    default -> throw new IllegalArgumentException("unknown option " + option);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("minivpn-ctl: " + e.getMessage());
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, i, args.length);
        if (rest.length == 0) {
            System.err.println("usage: minivpn-ctl [--socket PATH] [--timeout SECONDS] <gogo command>\n"
                    + "  e.g. minivpn-ctl lb   or   minivpn-ctl vpn:status");
            System.exit(2);
        }
        System.exit(run(socket, String.join(" ", rest), System.out, System.err, timeout));
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

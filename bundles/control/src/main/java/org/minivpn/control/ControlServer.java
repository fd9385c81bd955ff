package org.minivpn.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/**
 * Serves the control protocol on a Unix domain socket: each connection runs one Gogo command in a
 * fresh session and streams its output back.
 *
 * <p>Access: the socket's folder is made mode 0700 and the socket 0600, and each peer's
 * credentials (SO_PEERCRED) must name the user the appliance runs as, or root. Anyone who can run
 * commands here controls the VPN, so nothing is reachable over the network.
 *
 * <p>Until the appliance is {@linkplain Readiness ready}, every command is refused with status
 * {@value Frames#STATUS_STARTING} and what it still waits for; an empty command is the readiness
 * probe that {@code minivpn-ctl --wait-ready} repeats (status 0 once ready). Refusing rather than
 * waiting here keeps the four workers free: the client does the waiting, bounded by its timeout.
 */
final class ControlServer implements AutoCloseable {

    private static final Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final int WORKERS = 4;
    private static final long REQUEST_TIMEOUT_SECONDS = 10;

    private final CommandProcessor processor;
    private final Readiness readiness;
    private final Path socket;
    private final ServerSocketChannel server;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService watchdog;
    private final Thread acceptor;
    private final String owner = System.getProperty("user.name");

    /** A control socket that is always ready, for a command processor outside an appliance. */
    ControlServer(CommandProcessor processor, Path socket) throws IOException {
        this(processor, socket, Readiness.ALWAYS);
    }

    ControlServer(CommandProcessor processor, Path socket, Readiness readiness) throws IOException {
        this.processor = processor;
        this.readiness = readiness;
        this.socket = socket.toAbsolutePath();
        this.server = bind(this.socket);
        this.workers = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16),
                r -> daemon(r, "control-command"));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "control-watchdog"));
        this.acceptor = daemon(this::acceptLoop, "control-accept");
        acceptor.start();
    }

    /** The socket's path. */
    Path socket() {
        return socket;
    }

    private static ServerSocketChannel bind(Path socket) throws IOException {
        for (String warning : PrivateFolder.ensure(socket.getParent())) {
            LOG.log(Level.WARNING, warning);
        }
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("another MiniVPN already listens on " + socket
                        + ": stop it first (bin/minivpn-ctl stop 0), or run this copy from another folder");
            }
            Files.delete(socket); // left behind by a process that died
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot open the control socket " + socket + ": " + e.getMessage()
                    + " (check that its folder is writable by this user)", e);
        }
        return ch;
    }

    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "control socket accept failed: " + e.getMessage());
                continue;
            }
            try {
                workers.execute(() -> serve(ch));
            } catch (RejectedExecutionException e) {
                refuse(ch, Frames.STATUS_REFUSED, "the appliance is busy with other control commands: try again in a moment");
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            String peer = peerUser(ch);
            if (!peer.equals(owner) && !peer.equals("root")) {
                refuse(ch, Frames.STATUS_REFUSED, "user " + peer + " may not control this appliance: run minivpn-ctl as " + owner);
                return;
            }
            var timeout = watchdog.schedule(() -> closeQuietly(ch), REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            String command;
            try {
                command = readRequest(ch);
            } finally {
                timeout.cancel(false);
            }
            String waiting = readiness.waitingFor();
            if (waiting != null) {
                refuse(ch, Frames.STATUS_STARTING, "the appliance is still starting (waiting for " + waiting
                        + "): try again in a moment, or wait for it with bin/minivpn-ctl --wait-ready");
                return;
            }
            int status = command.isBlank() ? Frames.STATUS_OK : run(command, ch);
            writeFrame(ch, Frames.EXIT, ByteBuffer.allocate(4).putInt(0, status).array(), 0, 4);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "control connection ended early: " + e.getMessage());
        }
    }

    private int run(String command, SocketChannel ch) {
        PrintStream out = new PrintStream(new FrameStream(ch, Frames.OUT), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FrameStream(ch, Frames.ERR), true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), out, err);
        try {
            Object result = session.execute(command);
            if (result != null) {
                CharSequence text = session.format(result, Converter.INSPECT);
                if (text != null && text.length() > 0) {
                    out.println(text);
                }
            }
            return Frames.STATUS_OK;
        } catch (Exception e) {
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            err.println(message);
            return Frames.STATUS_FAILED;
        } finally {
            session.close();
            out.flush();
            err.flush();
        }
    }

    private static String readRequest(SocketChannel ch) throws IOException {
        ByteBuffer len = readFully(ch, ByteBuffer.allocate(4));
        int n = len.getInt(0);
        if (n < 0 || n > Frames.MAX_REQUEST) {
            throw new IOException("request of " + n + " bytes refused");
        }
        return StandardCharsets.UTF_8.decode(readFully(ch, ByteBuffer.allocate(n)).flip()).toString();
    }

    private static ByteBuffer readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("client closed the connection mid-request");
            }
        }
        return b;
    }

    private static String peerUser(SocketChannel ch) throws IOException {
        UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return p.user().getName();
    }

    private static void refuse(SocketChannel ch, int status, String message) {
        try (ch) {
            byte[] text = (message + "\n").getBytes(StandardCharsets.UTF_8);
            writeFrame(ch, Frames.ERR, text, 0, text.length);
            writeFrame(ch, Frames.EXIT, ByteBuffer.allocate(4).putInt(0, status).array(), 0, 4);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "could not tell a refused control client why: " + e.getMessage());
        }
    }

    static void writeFrame(SocketChannel ch, byte type, byte[] b, int off, int len) throws IOException {
        synchronized (ch) {
            ByteBuffer header = ByteBuffer.allocate(5).put(type).putInt(len).flip();
            ByteBuffer body = ByteBuffer.wrap(b, off, len);
            while (header.hasRemaining() || body.hasRemaining()) {
                ch.write(new ByteBuffer[] {header, body});
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing a control connection: " + e.getMessage());
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Stops accepting, waits up to two seconds for running commands, and removes the socket. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the control socket: " + e.getMessage());
        }
        workers.shutdown();
        watchdog.shutdownNow();
        try {
            acceptor.join(1000);
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove the control socket " + socket + ": " + e.getMessage());
        }
    }

    /** An output stream that sends each write as one frame of the given type. */
    private static final class FrameStream extends OutputStream {
        private final SocketChannel ch;
        private final byte type;

        FrameStream(SocketChannel ch, byte type) {
            this.ch = ch;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int done = 0; done < len; done += Frames.MAX_FRAME) {
                writeFrame(ch, type, b, off + done, Math.min(Frames.MAX_FRAME, len - done));
            }
        }
    }
}

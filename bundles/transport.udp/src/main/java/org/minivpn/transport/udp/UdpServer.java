package org.minivpn.transport.udp;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.net.udp.SegmentBatch;
import org.minivpn.net.udp.UdpChannel;

/**
 * A plaintext server: one socket, one receive thread ({@code udp-rx-PORT}) that keeps a session per
 * client address. A client says HELLO first; data from an address without a session is dropped.
 */
final class UdpServer implements TransportServer {

    final Counters drops = new Counters();
    private final UdpChannel socket;
    private final InetSocketAddress local;
    private final SessionHandler handler;
    private final Duration idleTimeout;
    private final int maxPacketSize;
    private final Consumer<UdpServer> onClose;
    private final Thread receiver;
    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private final ByteBuffer welcome = ByteBuffer.wrap(new byte[] {Wire.WELCOME});
    private final SegmentBatch batch; // datagrams of one session at a time; guarded by itself
    private volatile boolean closing;
    private volatile List<Session> snapshot = List.of();

    // receive thread only
    private long nextSendErrorLog = System.nanoTime();
    private long sendErrorsLogged;
    private final Map<InetSocketAddress, UdpServerSession> sessions = new HashMap<>();
    private final byte[] rx = new byte[Wire.MAX_DATAGRAM];
    private final ByteBuffer rxBuffer = ByteBuffer.wrap(rx);

    /** Drop counts; written by the receive thread only. */
    static final class Counters {
        volatile long malformed;
        volatile long unknownPeer;
        volatile long handlerErrors;
        /** Datagrams from source port 0, which cannot be answered. */
        volatile long badSource;
        /** Answers the kernel refused to send (the datagram's sender cannot be reached). */
        volatile long sendErrors;

        @Override
        public String toString() {
            return "dropped: malformed " + malformed + ", unknown peer " + unknownPeer + ", handler errors " + handlerErrors
                    + ", source port 0 " + badSource + ", send errors " + sendErrors;
        }
    }

    private UdpServer(UdpChannel socket, SessionHandler handler, Duration idleTimeout, int maxPacketSize,
            Consumer<UdpServer> onClose) throws IOException {
        this.socket = socket;
        this.local = socket.localAddress();
        this.handler = handler;
        this.idleTimeout = idleTimeout;
        this.maxPacketSize = maxPacketSize;
        this.onClose = onClose;
        this.batch = new SegmentBatch(socket, dropped -> { }); // like send: a full socket buffer drops quietly
        this.receiver = new Thread(this::run, "udp-rx-" + local.getPort());
        this.receiver.setDaemon(true);
    }

    static UdpServer start(InetSocketAddress bind, SessionHandler handler, Duration idleTimeout, int maxPacketSize,
            Consumer<UdpServer> onClose) throws IOException {
        UdpChannel socket = UdpChannel.bind(bind, UdpTransport.LOG);
        try {
            UdpServer server = new UdpServer(socket, handler, idleTimeout, maxPacketSize, onClose);
            server.receiver.start();
            return server;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public List<Session> sessions() {
        return snapshot;
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        socket.wakeup();
        if (Thread.currentThread() != receiver) {
            try {
                receiver.join(800);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (receiver.isAlive()) {
                socket.close();
            }
        }
    }

    void post(Runnable event) {
        events.add(event);
        socket.wakeup();
    }

    boolean send(ByteBuffer datagram, InetSocketAddress to) throws IOException {
        return socket.send(datagram, to);
    }

    /**
     * Puts a data datagram of {@code session} into the server's batch, which holds one session's
     * run at a time (as the DTLS server's does): another session's datagram sends what is held.
     */
    void sendMore(UdpServerSession session, byte[] buf, int off, int len) throws IOException {
        synchronized (batch) {
            int at = batch.reserve(session, session.remoteAddress(), len + 1);
            byte[] out = batch.buffer();
            out[at] = Wire.DATA;
            System.arraycopy(buf, off, out, at + 1, len);
            batch.commit(len + 1);
        }
    }

    /** Sends the datagrams of {@code session} that wait in the batch, if any. */
    void flush(UdpServerSession session) throws IOException {
        synchronized (batch) {
            batch.send(session);
        }
    }

    /** Tells the handler that the packets delivered so far are all there is for now. Receive thread. */
    private void drained() {
        try {
            handler.drained();
        } catch (RuntimeException e) {
            drops.handlerErrors++;
        }
    }

    private void run() {
        long nextTick = System.nanoTime();
        try {
            while (!closing) {
                rxBuffer.clear();
                InetSocketAddress from = socket.receive(rxBuffer, 0);
                if (from == null) {
                    drained();
                    from = socket.receive(rxBuffer, 100);
                }
                if (from != null) {
                    onDatagram(from, rxBuffer.position());
                }
                for (Runnable e = events.poll(); e != null; e = events.poll()) {
                    e.run();
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    nextTick = now + 200_000_000L;
                    for (UdpServerSession s : new ArrayList<>(sessions.values())) {
                        if (now - s.lastReceive > idleTimeout.toNanos()) {
                            remove(s, "no packets from the client for " + idleTimeout.toSeconds() + " s");
                        }
                    }
                }
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            // closed under us
        } catch (IOException | RuntimeException e) {
            UdpTransport.LOG.log(Level.ERROR, "the UDP server on " + local + " stopped: " + e, e);
        } finally {
            for (UdpServerSession s : new ArrayList<>(sessions.values())) {
                remove(s, "the server is shutting down");
            }
            socket.close();
            onClose.accept(this);
        }
    }

    private void onDatagram(InetSocketAddress from, int len) throws IOException {
        if (len == 0) {
            drops.malformed++;
            return;
        }
        if (from.getPort() == 0) {
            // RFC 768: source port 0 means "no reply expected"; a session is nothing but replies,
            // so none is made for it, and nothing is sent (the kernel refuses to send to port 0).
            drops.badSource++;
            return;
        }
        UdpServerSession session = sessions.get(from);
        switch (rx[0]) {
            case Wire.DATA -> {
                if (session == null) {
                    drops.unknownPeer++;
                    return;
                }
                session.lastReceive = System.nanoTime();
                if (len > 1) {
                    try {
                        handler.received(session, rx, 1, len - 1);
                    } catch (RuntimeException e) {
                        drops.handlerErrors++;
                    }
                }
            }
            case Wire.HELLO -> {
                if (session == null) {
                    session = new UdpServerSession(this, from, maxPacketSize);
                    sessions.put(from, session);
                    snapshot = List.copyOf(sessions.values());
                    UdpTransport.LOG.log(Level.INFO, "plaintext UDP client at " + from + " connected");
                    try {
                        handler.opened(session);
                    } catch (RuntimeException e) {
                        drops.handlerErrors++;
                    }
                }
                session.lastReceive = System.nanoTime();
                reply(welcome.clear(), from);
            }
            case Wire.BYE -> {
                if (session != null) {
                    session.markClosed();
                    remove(session, "the client closed the session");
                }
            }
            default -> drops.malformed++;
        }
    }

    /**
     * Receive thread: answers one datagram. A send the kernel refuses (an address it will not send
     * to, a firewall's EPERM) is that datagram's failure, never the server's: it is counted and
     * logged at DEBUG at most every 10 s, and the receive loop goes on. Only a closed socket ends
     * the loop.
     */
    void reply(ByteBuffer datagram, InetSocketAddress to) throws ClosedChannelException {
        try {
            socket.send(datagram, to);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            drops.sendErrors++;
            long now = System.nanoTime();
            if (now - nextSendErrorLog >= 0) {
                nextSendErrorLog = now + 10_000_000_000L;
                UdpTransport.LOG.log(Level.DEBUG, "plaintext UDP server on " + local + ": cannot answer " + to + ": " + e
                        + " (" + (drops.sendErrors - sendErrorsLogged) + " such send errors since the last report)");
                sendErrorsLogged = drops.sendErrors;
            }
        }
    }

    /** Receive thread: forgets the session and tells the handler, once. */
    void remove(UdpServerSession session, String reason) {
        if (sessions.remove(session.remoteAddress(), session)) {
            session.sayBye();
            snapshot = List.copyOf(sessions.values());
            UdpTransport.LOG.log(Level.INFO, "plaintext UDP session with " + session.remoteAddress() + " ended: " + reason);
            try {
                handler.closed(session, reason);
            } catch (RuntimeException e) {
                drops.handlerErrors++;
            }
        }
    }

    @Override
    public String toString() {
        return "plaintext UDP server on " + local + ": " + snapshot.size() + " sessions; " + drops;
    }
}

package org.minivpn.transport.udp;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.function.Consumer;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.net.udp.SegmentBatch;
import org.minivpn.net.udp.UdpChannel;

/** A plaintext client session: a connected socket and one receive thread ({@code udp-client-rx-HOST:PORT}). */
final class UdpClientSession implements Session {

    private final UdpChannel socket;
    private final InetSocketAddress server;
    private final SessionHandler handler;
    private final int maxPacketSize;
    private final Consumer<UdpClientSession> onClose;
    private final Thread receiver;
    private final byte[] sendBuf;        // guarded by this
    private final ByteBuffer sendBuffer; // guarded by this
    private final SegmentBatch batch;    // guarded by this: what sendMore holds back
    private volatile boolean open = true;
    private volatile String closeReason;
    private volatile Object attachment;

    private UdpClientSession(UdpChannel socket, InetSocketAddress server, SessionHandler handler, int maxPacketSize,
            Consumer<UdpClientSession> onClose) {
        this.socket = socket;
        this.server = server;
        this.handler = handler;
        this.maxPacketSize = maxPacketSize;
        this.onClose = onClose;
        this.sendBuf = new byte[maxPacketSize + 1];
        this.sendBuffer = ByteBuffer.wrap(sendBuf);
        this.batch = new SegmentBatch(socket, dropped -> { }); // like send: a full socket buffer drops quietly
        this.receiver = new Thread(this::run, "udp-client-rx-" + server.getHostString() + ":" + server.getPort());
        this.receiver.setDaemon(true);
    }

    /** Says HELLO every 200 ms until the server answers, within {@code timeout}. */
    static UdpClientSession connect(InetSocketAddress server, SessionHandler handler, Duration timeout, int maxPacketSize,
            Consumer<UdpClientSession> onClose) throws IOException {
        UdpChannel socket = UdpChannel.connect(server, UdpTransport.LOG);
        boolean done = false;
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            ByteBuffer hello = ByteBuffer.wrap(new byte[] {Wire.HELLO});
            ByteBuffer answer = ByteBuffer.allocate(Wire.MAX_DATAGRAM);
            while (System.nanoTime() - deadline < 0) {
                socket.send(hello.clear(), null);
                answer.clear();
                long wait = Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                try {
                    if (socket.receive(answer, wait) != null && answer.position() == 1 && answer.get(0) == Wire.WELCOME) {
                        done = true;
                        return new UdpClientSession(socket, server, handler, maxPacketSize, onClose);
                    }
                } catch (PortUnreachableException e) {
                    throw new PortUnreachableException("nothing listens on UDP " + server
                            + ": start the server there, or check the host and port");
                }
            }
            throw new SocketTimeoutException("no answer from a plaintext UDP server at " + server + " within "
                    + timeout.toMillis() + " ms: is it running with the udp transport?");
        } finally {
            if (!done) {
                socket.close();
            }
        }
    }

    void start() {
        receiver.start();
    }

    @Override
    public synchronized void send(byte[] buf, int off, int len) throws IOException {
        check(len);
        batch.send(); // what sendMore held back goes first
        sendBuf[0] = Wire.DATA;
        System.arraycopy(buf, off, sendBuf, 1, len);
        sendBuffer.clear().limit(len + 1);
        try {
            socket.send(sendBuffer, null);
        } catch (PortUnreachableException e) {
            // the server is away; the relay's keepalive will tell
        }
    }

    /**
     * Holds the packet's datagram back to send it with the next ones in one system call (UDP
     * segmentation offload, through net.udp), as the DTLS transport does with its records.
     */
    @Override
    public synchronized void sendMore(byte[] buf, int off, int len) throws IOException {
        check(len);
        int at = batch.reserve(this, null, len + 1);
        byte[] out = batch.buffer();
        out[at] = Wire.DATA;
        System.arraycopy(buf, off, out, at + 1, len);
        batch.commit(len + 1);
    }

    @Override
    public synchronized void flush() throws IOException {
        if (open) {
            batch.send();
        }
    }

    private void check(int len) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (len > maxPacketSize) {
            throw new IOException("a packet of " + len + " bytes is larger than this session's maximum of "
                    + maxPacketSize + " (max.packet.size in configs/" + UdpTransport.PID + ".cfg)");
        }
    }

    @Override
    public int maxPacketSize() {
        return maxPacketSize;
    }

    @Override
    public String peerIdentity() {
        return "";
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return server;
    }

    @Override
    public String cipherSuite() {
        return "";
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    @Override
    public Object attachment() {
        return attachment;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            closeReason = "closed by this client";
            try {
                batch.send(); // the packets given before the close, then the BYE
                sendBuf[0] = Wire.BYE;
                sendBuffer.clear().limit(1);
                socket.send(sendBuffer, null);
            } catch (IOException e) {
                // the server notices by timeout instead
            }
        }
        socket.wakeup();
    }

    /** Tells the handler that the packets delivered so far are all there is for now. Receive thread. */
    private void drained() {
        try {
            handler.drained();
        } catch (RuntimeException e) {
            UdpTransport.LOG.log(Level.DEBUG, "the session handler failed to flush", e);
        }
    }

    private void run() {
        String reason = null;
        try {
            handler.opened(this);
            byte[] rx = new byte[Wire.MAX_DATAGRAM];
            ByteBuffer rxBuffer = ByteBuffer.wrap(rx);
            while (open && reason == null) {
                rxBuffer.clear();
                try {
                    if (socket.receive(rxBuffer, 0) == null) {
                        drained();
                        if (socket.receive(rxBuffer, 250) == null) {
                            continue;
                        }
                    }
                } catch (PortUnreachableException e) {
                    continue;
                }
                int len = rxBuffer.position();
                if (len > 1 && rx[0] == Wire.DATA) {
                    try {
                        handler.received(this, rx, 1, len - 1);
                    } catch (RuntimeException e) {
                        UdpTransport.LOG.log(Level.DEBUG, "the session handler failed on a packet", e);
                    }
                } else if (len == 1 && rx[0] == Wire.BYE) {
                    reason = "the server closed the session";
                }
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            reason = "the socket was closed";
        } catch (IOException | RuntimeException e) {
            reason = "receiving failed: " + e;
        } finally {
            open = false;
            socket.close();
            onClose.accept(this);
            String why = closeReason != null ? closeReason : reason != null ? reason : "closed";
            try {
                handler.closed(this, why);
            } catch (RuntimeException e) {
                UdpTransport.LOG.log(Level.WARNING, "the session handler failed on a closed session: " + e, e);
            }
        }
    }
}

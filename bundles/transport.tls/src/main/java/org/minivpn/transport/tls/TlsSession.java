package org.minivpn.transport.tls;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsProtocol;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.tls.trust.Alerts;

/**
 * One TLS 1.3 stream carrying packets as frames: a 2-byte big-endian length, then one IP packet or
 * control message (OpenVPN's TCP mode frames its packets the same way). A frame of length 0 is the
 * server's "admitted" after the handshake and is otherwise ignored.
 *
 * <p>Threads: a receive thread reads frames and hands them to the handler; a send thread writes
 * what {@link #send} queued. {@link #send} never blocks: with the queue full (the peer reads too
 * slowly) the packet is dropped as a full UDP socket drops it, so one slow client never stalls a
 * server's relay thread. A write the peer leaves unread for {@code write.timeout}, and a peer
 * silent for {@code session.idle.timeout}, end the session.
 */
final class TlsSession implements Session {

    private static final int POLL_MILLIS = 500;

    private final Socket socket;
    private final TlsProtocol protocol;
    private final InputStream in;
    private final OutputStream out;
    private final Info info;
    private final TlsSettings settings;
    private final SessionHandler handler;
    private final Consumer<TlsSession> ended;
    private final ArrayBlockingQueue<byte[]> free;
    private final ArrayBlockingQueue<byte[]> queued;
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    private final Thread receiver;
    private final Thread sender;
    private volatile long writingSince; // System.nanoTime() while a write is under way, else 0
    private volatile Object attachment;
    private long droppedFull; // the sending thread's

    /** What the handshake established. */
    record Info(String identity, InetSocketAddress remote, String cipherSuite, String cryptoBackend, String label) {
    }

    TlsSession(Socket socket, TlsProtocol protocol, Info info, TlsSettings settings, SessionHandler handler,
            Consumer<TlsSession> ended) {
        this.socket = socket;
        this.protocol = protocol;
        this.in = protocol.getInputStream();
        this.out = protocol.getOutputStream();
        this.info = info;
        this.settings = settings;
        this.handler = handler;
        this.ended = ended;
        this.free = new ArrayBlockingQueue<>(settings.sendQueue());
        this.queued = new ArrayBlockingQueue<>(settings.sendQueue());
        for (int i = 0; i < settings.sendQueue(); i++) {
            free.add(new byte[settings.maxPacketSize() + 2]);
        }
        this.receiver = new Thread(this::receive, "tls-rx-" + info.label());
        this.sender = new Thread(this::transmit, "tls-tx-" + info.label());
        receiver.setDaemon(true);
        sender.setDaemon(true);
    }

    void start() {
        sender.start();
        receiver.start();
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (closeReason.get() != null) {
            throw new ClosedChannelException();
        }
        if (len > settings.maxPacketSize() || len <= 0) {
            throw new IOException("a packet of " + len + " bytes does not fit: 1.." + settings.maxPacketSize()
                    + " (max.packet.size)");
        }
        byte[] frame = free.poll();
        if (frame == null) {
            droppedFull++;
            return;
        }
        frame[0] = (byte) (len >>> 8);
        frame[1] = (byte) len;
        System.arraycopy(buf, off, frame, 2, len);
        queued.offer(frame);
    }

    /** Packets dropped because the peer read too slowly. */
    long droppedFull() {
        return droppedFull;
    }

    @Override
    public int maxPacketSize() {
        return settings.maxPacketSize();
    }

    @Override
    public String peerIdentity() {
        return info.identity();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return info.remote();
    }

    @Override
    public String cipherSuite() {
        return info.cipherSuite();
    }

    @Override
    public String cryptoBackend() {
        return info.cryptoBackend();
    }

    @Override
    public boolean isOpen() {
        return closeReason.get() == null;
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
        end("closed by this side");
    }

    /** Ends the session for {@code reason} (the first reason given wins); returns at once. */
    void end(String reason) {
        if (!closeReason.compareAndSet(null, reason)) {
            return;
        }
        sender.interrupt(); // it says close_notify, then closes the socket
        TlsTransport.TIMER.schedule(this::closeSocket, 1, TimeUnit.SECONDS); // in case that write hangs
    }

    /** Called about once a second: ends a session whose peer has left a write unread too long. */
    void checkWrite(long now) {
        long since = writingSince;
        if (since != 0 && now - since > settings.writeTimeout().toNanos()) {
            end("the peer read nothing for " + settings.writeTimeout().toSeconds() + " s (write.timeout)");
            closeSocket();
        }
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void receive() {
        byte[] header = new byte[2];
        byte[] buf = new byte[settings.maxPacketSize()];
        try {
            handler.opened(this);
            while (true) {
                readFully(header, 2);
                int len = ((header[0] & 0xFF) << 8) | (header[1] & 0xFF);
                if (len == 0) {
                    continue;
                }
                if (len > buf.length) {
                    // The stream cannot be resynchronised past a frame we will not read: drop the peer.
                    end("the peer sent a frame of " + len + " bytes, more than max.packet.size " + buf.length);
                    break;
                }
                readFully(buf, len);
                handler.received(this, buf, 0, len);
                if (in.available() == 0) {
                    handler.drained();
                }
            }
        } catch (SocketTimeoutException e) {
            end("nothing from the peer for " + settings.idleTimeout().toSeconds() + " s (session.idle.timeout)");
        } catch (TlsFatalAlertReceived e) {
            end("the peer ended the session: " + Alerts.explain(e.getAlertDescription()));
        } catch (EOFException e) {
            end("the peer closed the connection");
        } catch (IOException | RuntimeException e) {
            end("the connection failed: " + e.getMessage());
        } finally {
            closeSocket();
            ended.accept(this);
            TlsTransport.LOG.log(Level.INFO, "TLS session with '" + info.identity() + "' at " + info.remote()
                    + " ended: " + closeReason.get());
            handler.closed(this, closeReason.get());
        }
    }

    private void readFully(byte[] b, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int r = in.read(b, n, len - n);
            if (r < 0) {
                throw new EOFException();
            }
            n += r;
        }
    }

    private void transmit() {
        byte[] staging = new byte[TlsSettings.MAX_FRAME + 2];
        try {
            while (closeReason.get() == null) {
                byte[] frame = queued.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                int n = 0;
                while (frame != null) {
                    int len = (((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF)) + 2;
                    if (n + len > staging.length) {
                        write(staging, n);
                        n = 0;
                    }
                    System.arraycopy(frame, 0, staging, n, len);
                    n += len;
                    free.offer(frame);
                    frame = queued.poll();
                }
                if (n > 0) {
                    write(staging, n);
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException e) {
            end("the connection failed while sending: " + e.getMessage());
        }
        try {
            protocol.close(); // close_notify (RFC 8446 6.1), then the socket
        } catch (IOException e) {
            // the socket is closed below anyway
        }
        closeSocket();
    }

    private void write(byte[] b, int len) throws IOException {
        writingSince = System.nanoTime();
        try {
            out.write(b, 0, len);
        } finally {
            writingSince = 0;
        }
    }
}

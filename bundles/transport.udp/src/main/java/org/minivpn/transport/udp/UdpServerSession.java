package org.minivpn.transport.udp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.minivpn.api.transport.Session;

/** A client's plaintext session on a {@link UdpServer}. */
final class UdpServerSession implements Session {

    private final UdpServer server;
    private final InetSocketAddress remote;
    private final int maxPacketSize;
    private final byte[] sendBuf;        // guarded by this
    private final ByteBuffer sendBuffer; // guarded by this
    private volatile boolean open = true;
    private volatile Object attachment;
    long lastReceive = System.nanoTime(); // receive thread only

    UdpServerSession(UdpServer server, InetSocketAddress remote, int maxPacketSize) {
        this.server = server;
        this.remote = remote;
        this.maxPacketSize = maxPacketSize;
        this.sendBuf = new byte[maxPacketSize + 1];
        this.sendBuffer = ByteBuffer.wrap(sendBuf);
    }

    @Override
    public synchronized void send(byte[] buf, int off, int len) throws IOException {
        check(len);
        server.flush(this); // what sendMore held back goes first
        sendBuf[0] = Wire.DATA;
        System.arraycopy(buf, off, sendBuf, 1, len);
        sendBuffer.clear().limit(len + 1);
        server.send(sendBuffer, remote);
    }

    /** Holds the packet back in the server's batch, to go out with the next ones in one system call. */
    @Override
    public synchronized void sendMore(byte[] buf, int off, int len) throws IOException {
        check(len);
        server.sendMore(this, buf, off, len);
    }

    @Override
    public void flush() throws IOException {
        if (open) {
            server.flush(this);
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
        return remote;
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
        if (open) {
            server.post(() -> server.remove(this, "closed by this server"));
        }
    }

    synchronized void markClosed() {
        open = false;
    }

    /** Tells the client, unless it already left. */
    synchronized void sayBye() {
        if (open) {
            open = false;
            sendBuf[0] = Wire.BYE;
            sendBuffer.clear().limit(1);
            try {
                server.reply(sendBuffer, remote); // counts a failure; the client notices by timeout instead
            } catch (ClosedChannelException e) {
                // the server is closing: the client notices by timeout
            }
        }
    }
}

package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import org.bouncycastle.tls.DatagramTransport;

/** A plain UDP socket as Bouncy Castle's DTLS protocols want it, for tests against Bouncy Castle's own record layer. */
final class BcDatagramSocket implements DatagramTransport {

    private final DatagramSocket socket;

    BcDatagramSocket(DatagramSocket socket) {
        this.socket = socket;
    }

    @Override
    public int getReceiveLimit() {
        return 65507;
    }

    @Override
    public int getSendLimit() {
        return 1400;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        socket.setSoTimeout(Math.max(1, waitMillis));
        DatagramPacket p = new DatagramPacket(buf, off, len);
        try {
            socket.receive(p);
        } catch (SocketTimeoutException e) {
            return -1;
        }
        if (!socket.isConnected()) {
            socket.connect(p.getSocketAddress());
        }
        return p.getLength();
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        socket.send(new DatagramPacket(buf, off, len));
    }

    @Override
    public void close() {
        socket.close();
    }
}

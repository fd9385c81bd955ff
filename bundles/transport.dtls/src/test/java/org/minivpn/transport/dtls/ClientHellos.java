package org.minivpn.transport.dtls;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DatagramTransport;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/**
 * A ClientHello as a Bouncy Castle client sends it, replayed from any socket: what an attacker
 * does that completes the cookie exchange of RFC 6347 4.2.1 from many ports and then falls silent,
 * at the cost of two datagrams per handshake. The cookie is bound to the address and port, never
 * to the random, so one captured ClientHello serves every port.
 */
final class ClientHellos {

    private final byte[] hello;

    private ClientHellos(byte[] hello) {
        this.hello = hello;
    }

    /** The first datagram of a real client handshake with {@code credentials}. */
    static ClientHellos capture(Credentials credentials) throws Exception {
        byte[][] first = new byte[1][];
        DatagramTransport keepFirst = new DatagramTransport() {
            @Override
            public int getReceiveLimit() {
                return 1500;
            }

            @Override
            public int getSendLimit() {
                return 1400;
            }

            @Override
            public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
                throw new IOException("captured");
            }

            @Override
            public void send(byte[] buf, int off, int len) throws IOException {
                first[0] = Arrays.copyOfRange(buf, off, off + len);
                throw new IOException("captured");
            }

            @Override
            public void close() {
            }
        };
        ClientPeer peer = new ClientPeer(CryptoState.of(Backends.jca()), credentials, null, List.of(), 1000);
        try {
            new DTLSClientProtocol().connect(peer, keepFirst);
        } catch (IOException expected) {
            // the ClientHello is all it was for
        }
        if (first[0] == null || !Cookies.isClientHello(first[0], 0, first[0].length)) {
            throw new AssertionError("Bouncy Castle sent no ClientHello");
        }
        return new ClientHellos(first[0]);
    }

    /** The ClientHello without a cookie. */
    byte[] withoutCookie() {
        return hello.clone();
    }

    /**
     * From {@code socket}: a ClientHello, then the same with the cookie of the HelloVerifyRequest,
     * then nothing. False when no HelloVerifyRequest came within {@code timeoutMillis}.
     */
    boolean stall(DatagramSocket socket, InetSocketAddress server, int timeoutMillis) throws IOException {
        socket.send(new DatagramPacket(hello, hello.length, server));
        byte[] buf = new byte[1500];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        socket.setSoTimeout(timeoutMillis);
        try {
            socket.receive(reply);
        } catch (SocketTimeoutException e) {
            return false;
        }
        // record header (13), handshake header (12), server_version (2), cookie<0..255>
        if (reply.getLength() < 28 || buf[13] != 3) {
            return false;
        }
        byte[] cookie = Arrays.copyOfRange(buf, 28, 28 + (buf[27] & 0xFF));
        byte[] second = withCookie(hello, cookie);
        socket.send(new DatagramPacket(second, second.length, server));
        return true;
    }

    /** The length of the cookie in a ClientHello record, e.g. 0 in a client's first. */
    static int cookieLength(byte[] hello) {
        int body = RecordLayer.HEADER + 12;
        return hello[body + 2 + 32 + 1 + (hello[body + 34] & 0xFF)] & 0xFF;
    }

    /** {@code hello} with {@code cookie}, as its second ClientHello (record and message sequence 1). */
    static byte[] withCookie(byte[] hello, byte[] cookie) {
        int body = RecordLayer.HEADER + 12;
        int cookieAt = body + 2 + 32 + 1 + (hello[body + 34] & 0xFF);
        int oldCookie = hello[cookieAt] & 0xFF;
        int rest = hello.length - (cookieAt + 1 + oldCookie);
        byte[] out = new byte[cookieAt + 1 + cookie.length + rest];
        System.arraycopy(hello, 0, out, 0, cookieAt);
        out[cookieAt] = (byte) cookie.length;
        System.arraycopy(cookie, 0, out, cookieAt + 1, cookie.length);
        System.arraycopy(hello, cookieAt + 1 + oldCookie, out, cookieAt + 1 + cookie.length, rest);
        int bodyLength = out.length - body;
        out[10] = 1;                                       // record sequence number
        RecordLayer.putShort(out, 11, out.length - RecordLayer.HEADER);
        putUint24(out, 14, bodyLength);                    // message length
        RecordLayer.putShort(out, 17, 1);                  // message_seq
        putUint24(out, 22, bodyLength);                    // fragment length
        return out;
    }

    private static void putUint24(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 16);
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) v;
    }
}

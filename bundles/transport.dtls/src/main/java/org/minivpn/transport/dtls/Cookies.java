package org.minivpn.transport.dtls;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSVerifier;
import org.bouncycastle.tls.DatagramSender;
import org.minivpn.tls.trust.CryptoState;

/**
 * The stateless cookie exchange of RFC 6347 4.2.1: a ClientHello without a valid cookie is
 * answered with a HelloVerifyRequest and forgotten, so a spoofed source address costs the server
 * no state. The secret is replaced every ten minutes. Receive thread only.
 */
final class Cookies {

    private static final long SECRET_LIFETIME = TimeUnit.MINUTES.toNanos(10);

    private final DtlsServer server;
    private final Sender sender = new Sender();
    private DTLSVerifier verifier;
    private long born;

    Cookies(DtlsServer server, CryptoState crypto) {
        this.server = server;
        renew(crypto);
    }

    /** The ClientHello in {@code buf[off, off+len)} with a cookie that checks out; null after answering one without. */
    DTLSRequest verify(InetSocketAddress from, byte[] buf, int off, int len) {
        sender.to = from;
        return verifier.verifyRequest(clientId(from), buf, off, len, sender);
    }

    /** Replaces an old secret; a client caught in between is asked once more. */
    void renewIfOld(long now, CryptoState crypto) {
        if (crypto != null && now - born > SECRET_LIFETIME) {
            renew(crypto);
        }
    }

    private void renew(CryptoState crypto) {
        verifier = new DTLSVerifier(crypto.tls());
        born = System.nanoTime();
    }

    /** Whether {@code buf[off, off+len)} starts with a ClientHello record of epoch 0. */
    static boolean isClientHello(byte[] buf, int off, int len) {
        return len > RecordLayer.HEADER && (buf[off] & 0xFF) == RecordLayer.HANDSHAKE
                && RecordLayer.getShort(buf, off + 3) == 0 && buf[off + RecordLayer.HEADER] == 1;
    }

    /** What the cookie is bound to: the client's address and port. */
    private static byte[] clientId(InetSocketAddress from) {
        byte[] address = from.getAddress().getAddress();
        byte[] id = new byte[address.length + 2];
        System.arraycopy(address, 0, id, 0, address.length);
        RecordLayer.putShort(id, address.length, from.getPort());
        return id;
    }

    /** Sends a HelloVerifyRequest to the address of the ClientHello being answered. */
    private final class Sender implements DatagramSender {
        InetSocketAddress to;

        @Override
        public int getSendLimit() {
            return ClientHandshakeChannel.HANDSHAKE_MTU;
        }

        @Override
        public void send(byte[] buf, int off, int len) {
            server.sendRaw(buf, off, len, to);
        }
    }
}

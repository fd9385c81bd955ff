package org.minivpn.loadgen;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * Opens one session at a time on the calling thread: a socket of its own, the DTLS handshake,
 * then HELLO until the server's CONFIG, all within one timeout. Safe for many threads at once.
 */
final class Opener {

    /** What opening one session took. */
    record Opened(VpnSession session, long handshakeNanos, long configNanos, int hellosResent) {
    }

    private final InetSocketAddress server;
    private final TlsCrypto crypto;
    private final Identity identity;

    Opener(InetSocketAddress server, TlsCrypto crypto, Identity identity) {
        this.server = server;
        this.crypto = crypto;
        this.identity = identity;
    }

    /**
     * Opens a session whose handshake and CONFIG together take at most {@code timeout}; on return
     * its channel is still blocking.
     *
     * @throws IOException when it did not open ({@link VpnSession#describe} says why); nothing is
     *     left open then
     */
    Opened open(Duration timeout) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        DatagramChannel channel = DatagramChannel.open(server.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        boolean opened = false;
        try {
            channel.connect(server);
            ChannelTransport transport = new ChannelTransport(channel);
            int millis = (int) Math.max(1, timeout.toMillis());
            DTLSTransport dtls = new DTLSClientProtocol().connect(new LoadClient(crypto, identity, millis), transport);
            long handshake = System.nanoTime() - start;
            VpnSession session = new VpnSession(transport, dtls);
            int resent = session.awaitConfig(deadline);
            opened = true;
            return new Opened(session, handshake, System.nanoTime() - start - handshake, resent);
        } finally {
            if (!opened) {
                channel.close();
            }
        }
    }
}

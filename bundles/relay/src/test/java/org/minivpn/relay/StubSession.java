package org.minivpn.relay;

import java.net.InetSocketAddress;
import org.minivpn.api.transport.Session;

/**
 * A session that is always open, sends nowhere and closes without telling anyone: the base of the
 * relay tests' fake sessions, which override {@link #send} to count or answer.
 */
class StubSession implements Session {

    private final String identity;
    private final InetSocketAddress remote;
    private Object attachment;

    StubSession(String identity, int port) {
        this.identity = identity;
        this.remote = new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void send(byte[] buf, int off, int len) {
    }

    @Override
    public int maxPacketSize() {
        return 65535;
    }

    private volatile boolean open = true;

    @Override
    public String peerIdentity() {
        return identity;
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
    public void attach(Object a) {
        attachment = a;
    }

    @Override
    public Object attachment() {
        return attachment;
    }

    @Override
    public void close() {
        open = false;
    }
}

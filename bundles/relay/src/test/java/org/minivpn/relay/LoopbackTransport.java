package org.minivpn.relay;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;
import org.minivpn.api.transport.Transport;
import org.minivpn.api.transport.TransportServer;

/**
 * An in-memory transport for unit tests: sessions are queue pairs, each side delivered on its own
 * thread, as a real transport's receive thread would. {@link #partitioned} drops everything sent,
 * like a network that stopped carrying packets.
 */
final class LoopbackTransport implements Transport {

    private static final byte[] CLOSE = new byte[0];

    private final String type;
    private final Map<InetSocketAddress, Listener> listeners = new ConcurrentHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(40000);
    volatile boolean partitioned;
    /** New sessions fail to connect; the open ones go on. */
    volatile boolean refuseNew;
    /** The crypto backend new sessions report (see {@link Session#cryptoBackend()}). */
    volatile String backend = "";
    volatile String clientIdentity = "client";
    final List<LoopSession> opened = new ArrayList<>();

    LoopbackTransport(String type) {
        this.type = type;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException {
        return connect(server, handler, clientIdentity);
    }

    /**
     * This transport as a client holding {@code identity}'s certificate: every session it makes,
     * reconnects too, is authenticated as {@code identity}, whatever {@link #clientIdentity} says.
     */
    Transport as(String identity) {
        LoopbackTransport shared = this;
        return new Transport() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
                    throws IOException {
                return shared.connect(server, handler, identity);
            }

            @Override
            public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
                return shared.listen(bind, handler);
            }

            @Override
            public String cryptoBackend() {
                return shared.backend;
            }
        };
    }

    private Session connect(InetSocketAddress server, SessionHandler handler, String identity) throws IOException {
        Listener l = listeners.get(server);
        if (l == null || partitioned || refuseNew) {
            throw new ConnectException("nothing answers at " + server);
        }
        InetSocketAddress local = new InetSocketAddress("127.0.0.1", ports.incrementAndGet());
        LoopSession c = new LoopSession(handler, "server", server);
        LoopSession s = new LoopSession(l.handler, identity, local);
        c.peer = s;
        s.peer = c;
        synchronized (opened) {
            opened.add(c);
        }
        l.sessions.add(s);
        l.handler.opened(s);
        s.start();
        c.start();
        return c;
    }

    @Override
    public TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException {
        if (listeners.containsKey(bind)) {
            throw new java.net.BindException("address in use: " + bind);
        }
        Listener l = new Listener(bind, handler);
        listeners.put(bind, l);
        return l;
    }

    final class Listener implements TransportServer {
        final InetSocketAddress address;
        final SessionHandler handler;
        final List<LoopSession> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();

        Listener(InetSocketAddress address, SessionHandler handler) {
            this.address = address;
            this.handler = handler;
        }

        @Override
        public InetSocketAddress localAddress() {
            return address;
        }

        @Override
        public List<Session> sessions() {
            return List.copyOf(sessions);
        }

        @Override
        public void close() {
            listeners.remove(address);
            sessions.forEach(LoopSession::close);
        }
    }

    final class LoopSession implements Session {
        final SessionHandler handler;
        final String identity;
        final InetSocketAddress remote;
        final BlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(4096);
        final Thread delivery;
        volatile LoopSession peer;
        volatile boolean open = true;
        volatile Object attachment;
        final String madeWith = backend;

        LoopSession(SessionHandler handler, String identity, InetSocketAddress remote) {
            this.handler = handler;
            this.identity = identity;
            this.remote = remote;
            this.delivery = new Thread(this::deliver, "loopback-rx");
            delivery.setDaemon(true);
        }

        @Override
        public String cryptoBackend() {
            return madeWith;
        }

        void start() {
            delivery.start();
        }

        /** Delivers in order; the peer's close comes after the records it sent before closing. */
        private void deliver() {
            while (open) {
                try {
                    byte[] p = inbox.poll(50, TimeUnit.MILLISECONDS);
                    if (p == CLOSE) {
                        if (open) {
                            open = false;
                            handler.closed(this, "the peer closed the session");
                        }
                        return;
                    }
                    if (p != null && open) {
                        handler.received(this, p, 0, p.length);
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (len > maxPacketSize()) {
                throw new IOException("too long");
            }
            LoopSession p = peer;
            if (!partitioned && p.open) {
                byte[] copy = new byte[len];
                System.arraycopy(buf, off, copy, 0, len);
                p.inbox.offer(copy);
            }
        }

        @Override
        public int maxPacketSize() {
            return 65535;
        }

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
            return "LOOPBACK";
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
            if (open) {
                open = false;
                handler.closed(this, "closed");
                LoopSession p = peer;
                if (p != null && p.open && !partitioned) {
                    p.inbox.offer(CLOSE);
                }
            }
        }
    }
}

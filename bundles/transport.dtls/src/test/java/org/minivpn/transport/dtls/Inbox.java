package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.minivpn.api.transport.Session;
import org.minivpn.api.transport.SessionHandler;

/** A session handler for tests: queues what happens, or echoes every packet back. */
final class Inbox implements SessionHandler {

    final BlockingQueue<Session> opened = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();
    final BlockingQueue<String> closed = new LinkedBlockingQueue<>();
    private final boolean echo;

    private Inbox(boolean echo) {
        this.echo = echo;
    }

    static Inbox collecting() {
        return new Inbox(false);
    }

    static Inbox echoing() {
        return new Inbox(true);
    }

    @Override
    public void opened(Session session) {
        opened.add(session);
    }

    @Override
    public void received(Session session, byte[] buf, int off, int len) {
        if (echo) {
            try {
                session.send(buf, off, len);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            packets.add(Arrays.copyOfRange(buf, off, off + len));
        }
    }

    @Override
    public void closed(Session session, String reason) {
        closed.add(reason);
    }

    byte[] next(Duration timeout) throws InterruptedException {
        byte[] p = packets.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(p, "no packet within " + timeout);
        return p;
    }

    String closedReason(Duration timeout) throws InterruptedException {
        String r = closed.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(r, "the session did not close within " + timeout);
        return r;
    }

    Session openedSession(Duration timeout) throws InterruptedException {
        Session s = opened.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(s, "no session opened within " + timeout);
        return s;
    }
}

package org.minivpn.loadgen;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps established sessions alive: a few threads, each with one selector over its share of the
 * sessions' sockets, that read what the server sends and answer its PINGs. A session whose
 * server ends it is dropped from its selector; {@link VpnSession#lost()} says why.
 */
final class Keepers implements AutoCloseable {

    private static final long SELECT_MILLIS = 250;
    private static final long JOIN_MILLIS = 2000;

    private final Selector[] selectors;
    private final Thread[] threads;
    private final AtomicInteger next = new AtomicInteger();
    private final LongAdder pongs = new LongAdder();
    private volatile boolean stopping;

    /** Starts {@code count} threads (daemons, so they never hold the JVM up). */
    Keepers(int count) throws IOException {
        selectors = new Selector[count];
        threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            selectors[i] = Selector.open();
            Selector selector = selectors[i];
            threads[i] = new Thread(() -> run(selector), "loadgen-keeper-" + (i + 1));
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /**
     * Takes over an opened session: its channel becomes non-blocking and from now on only a keeper
     * thread uses it, until {@link #close()}.
     */
    void adopt(VpnSession session) throws IOException {
        Selector selector = selectors[Math.floorMod(next.getAndIncrement(), selectors.length)];
        session.transport().channel().configureBlocking(false);
        session.transport().channel().register(selector, SelectionKey.OP_READ, session);
        selector.wakeup();
    }

    /** PINGs answered so far. */
    long pongs() {
        return pongs.sum();
    }

    private void run(Selector selector) {
        byte[] buf = new byte[ChannelTransport.RECEIVE_LIMIT];
        try {
            while (!stopping) {
                selector.select(key -> {
                    int n = ((VpnSession) key.attachment()).pump(buf);
                    if (n < 0) {
                        key.cancel();
                    } else {
                        pongs.add(n);
                    }
                }, SELECT_MILLIS);
            }
        } catch (IOException e) {
            System.err.println("loadgen: a keeper thread stopped: " + e);
        }
    }

    /** Stops the threads (within about two seconds) and closes their selectors; the sessions stay open. Idempotent. */
    @Override
    public void close() {
        stopping = true;
        for (Selector s : selectors) {
            s.wakeup();
        }
        for (Thread t : threads) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Selector s : selectors) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}

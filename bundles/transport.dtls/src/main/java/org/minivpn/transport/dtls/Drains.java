package org.minivpn.transport.dtls;

import java.lang.System.Logger.Level;
import org.minivpn.api.transport.SessionHandler;

/**
 * Tells a handler when its receive thread has delivered every packet that was waiting
 * ({@link SessionHandler#drained()}): at {@link #drained()}, which the thread calls before it waits,
 * and after every {@value #EVERY} packets while they keep coming. One receive thread.
 */
final class Drains {

    /** Packets delivered between two {@link SessionHandler#drained()} calls at most. */
    static final int EVERY = 64;

    private final SessionHandler handler;
    private final DropCounters drops;
    private int undrained; // packets delivered since the handler was last told

    Drains(SessionHandler handler, DropCounters drops) {
        this.handler = handler;
        this.drops = drops;
    }

    /** One packet went to the handler. */
    void delivered() {
        if (++undrained >= EVERY) {
            drained();
        }
    }

    /** Nothing more is waiting: tells the handler, if a packet came since it was last told. */
    void drained() {
        if (undrained == 0) {
            return;
        }
        undrained = 0;
        try {
            handler.drained();
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            DtlsTransport.LOG.log(Level.DEBUG, "the session handler failed to flush", e);
        }
    }
}

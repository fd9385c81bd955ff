package org.minivpn.transport.dtls;

import java.lang.System.Logger.Level;
import org.minivpn.api.transport.SessionHandler;

/** How a receive thread tells its handler that nothing more is waiting ({@link SessionHandler#drained()}). */
final class Drains {

    private Drains() {
    }

    /** Calls {@code handler.drained()}; a failure is counted and logged, never thrown. */
    static void tell(SessionHandler handler, DropCounters drops) {
        try {
            handler.drained();
        } catch (RuntimeException e) {
            drops.handlerErrors++;
            DtlsTransport.LOG.log(Level.DEBUG, "the session handler failed to flush", e);
        }
    }
}

package org.minivpn.loadgen;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.PortUnreachableException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsTimeoutException;

/**
 * One established DTLS session speaking MiniVPN's relay protocol after the handshake: one IP
 * packet per application-data record, or a control message whose first byte is below 0x10.
 *
 * <pre>
 * HELLO   0x01 version                 we send it; the server assigns a pool address
 * CONFIG  0x02 version "key=value\n"…  the server's answer; "address" is ours
 * PING    0x03 8-byte stamp            the server's keepalive; we answer PONG 0x04 with the same 8 bytes
 * GOODBYE 0x05 UTF-8 reason            the server ends the session
 * </pre>
 *
 * <p>Used by one thread at a time: its opener until it is handed to a {@link Keepers} thread, then
 * that thread, then the closing one after the keepers stopped.
 */
final class VpnSession {

    static final byte HELLO = 0x01;
    static final byte CONFIG = 0x02;
    static final byte PING = 0x03;
    static final byte PONG = 0x04;
    static final byte GOODBYE = 0x05;
    static final byte VERSION = 1;
    static final int PING_LENGTH = 9;

    /** How often the HELLO is sent again while no CONFIG came: a lost datagram must not cost the session. */
    private static final long HELLO_RESEND_NANOS = 1_000_000_000L;

    private final ChannelTransport transport;
    private final DTLSTransport dtls;
    private String address = "";
    private volatile String lost;

    VpnSession(ChannelTransport transport, DTLSTransport dtls) {
        this.transport = transport;
        this.dtls = dtls;
    }

    ChannelTransport transport() {
        return transport;
    }

    /** The tunnel address the server's CONFIG gave (e.g. "10.77.0.2/20"), or "" before it came. */
    String address() {
        return address;
    }

    /** Why the session ended, or null while it lives. */
    String lost() {
        return lost;
    }

    /**
     * Sends HELLO (again each second) and waits for the server's CONFIG, answering PINGs meanwhile.
     * The channel must still be blocking.
     *
     * @param deadline {@link System#nanoTime()} by which CONFIG must have come
     * @return how many HELLOs were sent again
     * @throws SessionFailure when the server said goodbye or closed, or no CONFIG came in time
     */
    int awaitConfig(long deadline) throws IOException {
        byte[] buf = new byte[ChannelTransport.RECEIVE_LIMIT];
        byte[] hello = {HELLO, VERSION};
        int resent = -1;
        long nextHello = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new SessionFailure("no CONFIG came in answer to HELLO within the handshake timeout");
            }
            if (now - nextHello >= 0) {
                dtls.send(hello, 0, hello.length);
                resent++;
                nextHello = now + HELLO_RESEND_NANOS;
            }
            int wait = (int) Math.max(1, (Math.min(nextHello, deadline) - now) / 1_000_000);
            int n = dtls.receive(buf, 0, buf.length, wait);
            if (n < 0 && transport.isClosed()) {
                throw new SessionFailure("the server closed the session before its CONFIG");
            }
            if (n > 0 && buf[0] == CONFIG) {
                address = configValue(buf, n, "address");
                return resent;
            }
            if (n > 0) {
                answer(buf, n);
            }
        }
    }

    /**
     * Reads what arrived (a {@link Keepers} thread calls it when the socket is readable) and
     * answers each PING.
     *
     * @return the PINGs answered, or -1 once the session has ended ({@link #lost()} says why)
     */
    int pump(byte[] buf) {
        int pongs = 0;
        try {
            for (int n = dtls.receive(buf, 0, buf.length, 1); n >= 0 && lost == null;
                    n = dtls.receivePending(buf, 0, buf.length)) {
                pongs += answer(buf, n);
            }
        } catch (IOException | RuntimeException e) {
            lose(describe(e));
        }
        if (transport.isClosed() && lost == null) {
            lose("the server closed the session (close_notify)");
        }
        return lost == null ? pongs : -1;
    }

    /** Ends the session: a close_notify to the server and the socket closed. Idempotent. */
    void close() {
        if (lost == null) {
            lose("closed by the load generator");
        }
        try {
            dtls.close();
        } catch (IOException e) {
            // the socket is closed either way
        }
    }

    /** Handles one control message; returns 1 when it answered a PING. */
    private int answer(byte[] buf, int n) throws IOException {
        if (n == PING_LENGTH && buf[0] == PING) {
            buf[0] = PONG;
            dtls.send(buf, 0, PING_LENGTH);
            return 1;
        }
        if (n >= 1 && buf[0] == GOODBYE) {
            String reason = new String(buf, 1, n - 1, StandardCharsets.UTF_8);
            lose("the server said goodbye: " + reason);
            throw new SessionFailure("the server said goodbye: " + reason);
        }
        return 0;
    }

    private void lose(String reason) {
        if (lost == null) {
            lost = reason;
        }
    }

    /** The value of {@code key} in a CONFIG record of {@code n} bytes, or "". */
    static String configValue(byte[] buf, int n, String key) {
        if (n < 2) {
            return "";
        }
        for (String line : new String(buf, 2, n - 2, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).strip().equals(key)) {
                return line.substring(eq + 1).strip();
            }
        }
        return "";
    }

    /** One line that says why a session failed, the same for the same cause, for counting. */
    static String describe(Throwable e) {
        if (e instanceof SessionFailure) {
            return e.getMessage();
        }
        if (e instanceof TlsTimeoutException) {
            return "the DTLS handshake timed out";
        }
        if (e instanceof TlsFatalAlertReceived a) {
            return "the server sent the fatal alert " + AlertDescription.getText(a.getAlertDescription());
        }
        if (e instanceof TlsFatalAlert a) {
            return "we refused with the alert " + AlertDescription.getText(a.getAlertDescription())
                    + (a.getMessage() == null ? "" : ": " + a.getMessage());
        }
        if (e instanceof PortUnreachableException) {
            return "ICMP port unreachable: nothing listens on the server's port";
        }
        if (e instanceof ClosedByInterruptException) {
            return "interrupted: the run was stopped";
        }
        if (e instanceof ClosedChannelException) {
            return "the socket was closed";
        }
        if (e instanceof InterruptedIOException) {
            return "interrupted: the run was stopped";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}

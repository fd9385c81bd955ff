package org.minivpn.transport.tls;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.minivpn.net.udp.SocketMark;
import org.minivpn.tls.trust.TrustFiles;

/**
 * The TLS configuration with paths resolved and numbers checked; a value out of range gets its default and a warning.
 * {@code socketMark} is the firewall mark of a client's TCP socket, 0 for none.
 */
record TlsSettings(TrustFiles trust, int port, Duration handshakeTimeout, int maxHandshakes, Duration idleTimeout,
        Duration writeTimeout, int maxPacketSize, int sendQueue, int socketMark) {

    /** The most one frame may carry: a TLS record's plaintext, 2^14 bytes (RFC 8446 5.1). */
    static final int MAX_FRAME = 16384;

    static TlsSettings from(Path home, TlsConfig c) {
        TrustFiles trust = new TrustFiles(resolve(home, c.ca()), resolve(home, c.cert()), resolve(home, c.key()),
                resolve(home, c.crl()), pins(c.pin()), "configs/" + TlsTransport.PID + ".cfg (or "
                + TlsTransport.DTLS_PID + ".cfg, whose certificate settings it shares)");
        return new TlsSettings(trust, checked("port", c.port(), 0, 65535, 0),
                Duration.ofSeconds(checked("handshake.timeout", c.handshake_timeout(), 1, 300, 10)),
                checked("handshake.max", c.handshake_max(), 1, 100_000, 64),
                Duration.ofSeconds(checked("session.idle.timeout", c.session_idle_timeout(), 5, 86_400, 180)),
                Duration.ofSeconds(checked("write.timeout", c.write_timeout(), 1, 300, 10)),
                checked("max.packet.size", c.max_packet_size(), 576, MAX_FRAME, 1500),
                checked("send.queue", c.send_queue(), 8, 65_536, 256),
                SocketMark.parse(c.socket_mark(), "configs/" + TlsTransport.PID + ".cfg (or " + TlsTransport.DTLS_PID
                        + ".cfg)", TlsTransport.LOG));
    }

    /** The same settings, marking client sockets with {@code mark}. */
    TlsSettings withSocketMark(int mark) {
        return new TlsSettings(trust, port, handshakeTimeout, maxHandshakes, idleTimeout, writeTimeout, maxPacketSize,
                sendQueue, mark);
    }

    private static Path resolve(Path home, String path) {
        String p = path == null ? "" : path.strip();
        return p.isEmpty() ? null : home.resolve(p).normalize();
    }

    private static List<byte[]> pins(String text) {
        List<byte[]> pins = new ArrayList<>();
        for (String item : text == null ? new String[0] : text.split(",")) {
            String hex = item.replace(":", "").replace(" ", "").strip();
            if (hex.isEmpty()) {
                continue;
            }
            try {
                if (hex.length() != 64) {
                    throw new IllegalArgumentException("not 64 hex digits");
                }
                pins.add(HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException e) {
                TlsTransport.LOG.log(Level.WARNING, "ignoring pin '" + item + "': a SHA-256 fingerprint has 64 hex"
                        + " digits (openssl x509 -noout -fingerprint -sha256 -in server.crt)");
            }
        }
        return pins;
    }

    private static int checked(String name, int value, int min, int max, int fallback) {
        if (value >= min && value <= max) {
            return value;
        }
        TlsTransport.LOG.log(Level.WARNING, name + " = " + value + " in configs/" + TlsTransport.PID
                + ".cfg is out of range: use " + min + ".." + max + "; using " + fallback);
        return fallback;
    }
}

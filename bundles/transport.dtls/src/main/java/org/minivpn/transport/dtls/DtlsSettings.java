package org.minivpn.transport.dtls;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.minivpn.tls.trust.TrustFiles;

/**
 * The DTLS configuration with paths resolved against the installation folder and numbers checked.
 * A value out of range is replaced by its default, with a warning that says what to fix.
 */
record DtlsSettings(Path ca, Path cert, Path key, Path crl, List<byte[]> pins, Duration handshakeTimeout,
        int handshakeThreads, int maxHandshakes, Duration idleTimeout, int maxPacketSize, HandshakeLimits limits) {

    /** The most a record carries: 2^14 bytes (RFC 6347 4.1). */
    static final int MAX_RECORD_PLAINTEXT = 16384;

    /** Settings with the default per-source handshake limits. */
    DtlsSettings(Path ca, Path cert, Path key, Path crl, List<byte[]> pins, Duration handshakeTimeout,
            int handshakeThreads, int maxHandshakes, Duration idleTimeout, int maxPacketSize) {
        this(ca, cert, key, crl, pins, handshakeTimeout, handshakeThreads, maxHandshakes, idleTimeout, maxPacketSize,
                HandshakeLimits.DEFAULT);
    }

    /** The same settings with other handshake limits. */
    DtlsSettings with(HandshakeLimits other) {
        return new DtlsSettings(ca, cert, key, crl, pins, handshakeTimeout, handshakeThreads, maxHandshakes,
                idleTimeout, maxPacketSize, other);
    }

    /** The certificate files these settings name, for {@link org.minivpn.tls.trust.Credentials#load}. */
    TrustFiles trust() {
        return new TrustFiles(ca, cert, key, crl, pins, "configs/" + DtlsTransport.PID + ".cfg");
    }

    static DtlsSettings from(Path home, DtlsConfig config) {
        return new DtlsSettings(resolve(home, config.ca()), resolve(home, config.cert()), resolve(home, config.key()),
                resolve(home, config.crl()), pins(config.pin()),
                Duration.ofSeconds(checked("handshake.timeout", config.handshake_timeout(), 1, 300, 10)),
                checked("handshake.threads", config.handshake_threads(), 1, 64, 2),
                checked("handshake.max", config.handshake_max(), 1, 100_000, 64),
                Duration.ofSeconds(checked("session.idle.timeout", config.session_idle_timeout(), 5, 86_400, 180)),
                checked("max.packet.size", config.max_packet_size(), 576, MAX_RECORD_PLAINTEXT, 1500),
                limits(config));
    }

    private static HandshakeLimits limits(DtlsConfig config) {
        HandshakeLimits d = HandshakeLimits.DEFAULT;
        return new HandshakeLimits(
                checked("handshake.per.source", config.handshake_per_source(), 1, 100_000, d.perSource()),
                checked("handshake.rate", config.handshake_rate(), 1, 100_000, d.ratePerSecond()),
                checked("handshake.burst", config.handshake_burst(), 1, 100_000, d.burst()),
                Duration.ofSeconds(checked("handshake.pressure.timeout", config.handshake_pressure_timeout(), 1, 300,
                        (int) d.pressureTimeout().toSeconds())));
    }


    private static Path resolve(Path home, String path) {
        String p = path == null ? "" : path.strip();
        return p.isEmpty() ? null : home.resolve(p).normalize();
    }

    /** Parses "AB:CD:..." fingerprints, with or without colons, comma separated. */
    static List<byte[]> pins(String text) {
        List<byte[]> pins = new ArrayList<>();
        if (text == null) {
            return pins;
        }
        for (String item : text.split(",")) {
            String hex = item.replace(":", "").replace(" ", "").strip();
            if (hex.isEmpty()) {
                continue;
            }
            if (hex.length() != 64) {
                DtlsTransport.LOG.log(Level.WARNING, "ignoring pin '" + item + "' in configs/" + DtlsTransport.PID
                        + ".cfg: a SHA-256 fingerprint has 64 hex digits (openssl x509 -noout -fingerprint -sha256 -in server.crt)");
                continue;
            }
            try {
                pins.add(HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException e) {
                DtlsTransport.LOG.log(Level.WARNING, "ignoring pin '" + item + "' in configs/" + DtlsTransport.PID
                        + ".cfg: not hexadecimal");
            }
        }
        return List.copyOf(pins);
    }

    private static int checked(String name, int value, int min, int max, int fallback) {
        if (value >= min && value <= max) {
            return value;
        }
        DtlsTransport.LOG.log(Level.WARNING, name + " = " + value + " in configs/" + DtlsTransport.PID
                + ".cfg is out of range: use " + min + ".." + max + "; using " + fallback);
        return fallback;
    }
}

package org.minivpn.loadgen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What one run does, from the command line.
 *
 * @param server the MiniVPN server's DTLS endpoint
 * @param ca the CA certificate (PEM) the server's certificate must be issued by
 * @param cert this client's certificate (PEM), issued by the same CA; every session uses it
 * @param key the private key of {@code cert} (PEM PKCS#8, EC)
 * @param sessions how many sessions to open
 * @param concurrency how many handshakes are in flight at once
 * @param handshakeTimeout how long one session may take from its first datagram to the server's CONFIG
 * @param duration the bound of the whole run: opening, holding and closing
 * @param receivers threads that keep the established sessions alive
 */
record Options(InetSocketAddress server, Path ca, Path cert, Path key, int sessions, int concurrency,
        Duration handshakeTimeout, Duration duration, int receivers) {

    static final int DEFAULT_PORT = 23232;

    static final String USAGE = """
            usage: java -jar minivpn-loadgen.jar --server HOST[:PORT] --ca CA.crt --cert CLIENT.crt --key CLIENT.key
                   [--sessions 1000] [--concurrency 16] [--handshake-timeout 15] [--duration 300] [--receivers 2]

            Opens --sessions authenticated DTLS 1.2 sessions to a MiniVPN server, --concurrency handshakes at a
            time, asks each for its tunnel configuration (HELLO, CONFIG) and keeps them all alive (PONG for
            every PING) until --duration seconds after the start, or until SIGTERM; then closes them.
            Prints the handshake rate and latencies once all are open ("opened:" line) and what was held at
            the end ("held:" line). Exit status 0 when every session opened and lasted, 1 when not, 2 on misuse.
            """;

    private static final Set<String> NAMES = Set.of("server", "ca", "cert", "key", "sessions", "concurrency",
            "handshake-timeout", "duration", "receivers");

    Options {
        require(sessions >= 1, "--sessions must be at least 1");
        require(concurrency >= 1 && concurrency <= 1024, "--concurrency must be 1..1024");
        require(receivers >= 1 && receivers <= 64, "--receivers must be 1..64");
        require(!handshakeTimeout.isNegative() && !handshakeTimeout.isZero(), "--handshake-timeout must be positive");
        require(duration.compareTo(handshakeTimeout) > 0, "--duration must be longer than --handshake-timeout");
    }

    /**
     * Parses {@code --name value} pairs.
     *
     * @throws IllegalArgumentException saying what is wrong, for the user
     */
    static Options parse(String... args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : "";
            require(NAMES.contains(name), "unknown option '" + arg + "'");
            require(i + 1 < args.length, arg + " needs a value");
            values.put(name, args[++i]);
        }
        for (String needed : new String[] {"server", "ca", "cert", "key"}) {
            require(values.containsKey(needed), "--" + needed + " is missing");
        }
        return new Options(endpoint(values.get("server")), Path.of(values.get("ca")), Path.of(values.get("cert")),
                Path.of(values.get("key")), number(values, "sessions", 1000), number(values, "concurrency", 16),
                Duration.ofSeconds(number(values, "handshake-timeout", 15)), Duration.ofSeconds(number(values, "duration", 300)),
                number(values, "receivers", 2));
    }

    private static InetSocketAddress endpoint(String text) {
        String host = text;
        int port = DEFAULT_PORT;
        int colon = text.lastIndexOf(':');
        if (colon > 0 && text.indexOf(':') == colon) { // host:port, not a bare IPv6 literal
            host = text.substring(0, colon);
            port = parseInt("--server port", text.substring(colon + 1));
        } else if (text.startsWith("[") && text.contains("]:")) {
            host = text.substring(1, text.indexOf(']'));
            port = parseInt("--server port", text.substring(text.indexOf("]:") + 2));
        }
        require(port > 0 && port < 65536, "--server port must be 1..65535");
        try {
            return new InetSocketAddress(InetAddress.getByName(host.replace("[", "").replace("]", "")), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--server: unknown host '" + host + "'");
        }
    }

    private static int number(Map<String, String> values, String name, int fallback) {
        String v = values.get(name);
        return v == null ? fallback : parseInt("--" + name, v);
    }

    private static int parseInt(String what, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a whole number");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}

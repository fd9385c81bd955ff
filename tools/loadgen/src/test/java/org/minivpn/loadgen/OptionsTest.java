package org.minivpn.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OptionsTest {

    private static final String[] FILES = {"--ca", "ca.crt", "--cert", "c.crt", "--key", "c.key"};

    private static Options parse(String... more) {
        String[] args = new String[FILES.length + more.length];
        System.arraycopy(FILES, 0, args, 0, FILES.length);
        System.arraycopy(more, 0, args, FILES.length, more.length);
        return Options.parse(args);
    }

    @Test
    void defaultsAndTheDefaultPort() {
        Options o = parse("--server", "198.18.80.1");
        assertEquals(new InetSocketAddress("198.18.80.1", 23232), o.server());
        assertEquals(1000, o.sessions());
        assertEquals(16, o.concurrency());
        assertEquals(Duration.ofSeconds(15), o.handshakeTimeout());
        assertEquals(Duration.ofSeconds(300), o.duration());
        assertEquals(2, o.receivers());
    }

    @Test
    void everyOption() {
        Options o = parse("--server", "198.18.80.1:4000", "--sessions", "50", "--concurrency", "32",
                "--handshake-timeout", "5", "--duration", "60", "--receivers", "4");
        assertEquals(new InetSocketAddress("198.18.80.1", 4000), o.server());
        assertEquals(50, o.sessions());
        assertEquals(32, o.concurrency());
        assertEquals(Duration.ofSeconds(5), o.handshakeTimeout());
        assertEquals(Duration.ofSeconds(60), o.duration());
        assertEquals(4, o.receivers());
    }

    @Test
    void ipv6WithAndWithoutPort() {
        assertEquals(new InetSocketAddress("::1", 23232), parse("--server", "::1").server());
        assertEquals(new InetSocketAddress("::1", 4000), parse("--server", "[::1]:4000").server());
    }

    @Test
    void misuseIsExplained() {
        assertEquals("unknown option '--bogus'",
                assertThrows(IllegalArgumentException.class, () -> parse("--server", "::1", "--bogus", "1")).getMessage());
        assertEquals("--server is missing", assertThrows(IllegalArgumentException.class, () -> parse()).getMessage());
        assertEquals("--sessions: 'many' is not a whole number",
                assertThrows(IllegalArgumentException.class, () -> parse("--server", "::1", "--sessions", "many")).getMessage());
        assertEquals("--duration must be longer than --handshake-timeout", assertThrows(IllegalArgumentException.class,
                () -> parse("--server", "::1", "--duration", "10", "--handshake-timeout", "10")).getMessage());
    }
}

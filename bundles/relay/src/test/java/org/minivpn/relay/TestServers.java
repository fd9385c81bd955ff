package org.minivpn.relay;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.minivpn.api.IpPrefix;

/** Server settings for tests of the admission and housekeeping at scale: no IPv6, no statics, the default timers. */
final class TestServers {

    private TestServers() {
    }

    /**
     * A server on 127.0.0.1 with {@code pool4}: keepalive 10 s, timeout 60 s, quarantine 60 s, plain
     * timeout 180 s, several sessions per identity allowed.
     */
    static ServerSettings settings(String pool4) {
        return new ServerSettings(IpPrefix.parseAddress("127.0.0.1"), 0, IpPrefix.parse(pool4), null, 1400, List.of(), true,
                Map.of(), null, Duration.ofSeconds(10), Duration.ofSeconds(60), false, Duration.ofSeconds(60),
                Duration.ofSeconds(180));
    }
}

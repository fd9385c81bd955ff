package org.minivpn.route.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.route.ClientRoutes;

/**
 * A VPN client's routing in a JVM of its own, for {@link CrashRecoveryTest} to kill -9: applies
 * full-tunnel routes with IPv6 and the kill switch inside a test namespace, prints "applied", and
 * waits (at most a minute) without ever closing them.
 *
 * <p>Arguments: the journal file, the network namespace (must start with "mvrt-").
 */
public final class CrashingClient {

    private CrashingClient() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !args[1].startsWith("mvrt-")) {
            throw new IllegalArgumentException("usage: CrashingClient <journal> <mvrt-namespace>");
        }
        LinuxRouteConfigurator cfg = new LinuxRouteConfigurator(Path.of(args[0]), args[1], Duration.ofSeconds(10));
        cfg.routeClient(new ClientRoutes("mvtun0", IpPrefix.parseAddress("198.18.21.1"), 1194, true,
                List.of(IpPrefix.parse("10.220.100.0/24")), true, true));
        System.out.println("applied");
        System.out.flush();
        Thread.sleep(60_000);
    }
}

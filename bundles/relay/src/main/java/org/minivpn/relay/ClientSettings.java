package org.minivpn.relay;

import java.time.Duration;
import java.util.List;
import org.minivpn.api.IpPrefix;

/**
 * How a client connects, parsed from its configuration and the connect request.
 *
 * @param serverName the DNS name or address the server's certificate must carry, or null for any the CA vouches for
 * @param staticAddresses tunnel addresses to use when the server pushes none
 * @param mtu the MTU to use when the server pushes none
 * @param splitTunnel true to route only pushed routes through the tunnel
 * @param killSwitch true to drop traffic outside the tunnel until disconnect
 * @param handshakeTimeout the longest one handshake may take
 * @param configWait how long to wait for the server's configuration after the handshake
 * @param keepalive how often to ping the server when it pushes no interval
 * @param timeout silence after which the server is declared dead, when it pushes none
 * @param reconnectMax the ceiling of the reconnect backoff
 * @param plain true to speak plainly, as the original C MiniVPN's client does: IP packets only, no
 *     hello, keepalives or goodbye; {@code staticAddresses} is then the tunnel's address
 * @param plainTimeout with a plain server, how long it may send nothing before it is declared dead;
 *     zero for never
 * @param deadPeer how fast a server that stopped answering the client's data is declared dead
 * @param connectTimeout how long a first connect keeps trying while handshakes time out
 * @param dns true to use the resolvers the server pushes while connected; false ({@code dns = off})
 *     to leave name resolution alone
 * @param rekey when the client moves to a new session to replace its keys
 * @param fallbackAfter how long a try may take when another transport comes after it ({@link Dialer})
 */
record ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
        Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
        boolean plain, Duration plainTimeout, DeadPeer deadPeer, Duration connectTimeout, boolean dns, Rekey.Limits rekey,
        Duration fallbackAfter) {

    /** The default of {@code fallback.after.millis}: DTLS's first flight and two resends (RFC 6347 4.2.4.1's 1 s timer). */
    static final Duration FALLBACK_AFTER = Duration.ofMillis(2500);

    ClientSettings {
        staticAddresses = List.copyOf(staticAddresses);
    }

    /** Settings that fall back after the default first-try budget. */
    ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
            Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
            boolean plain, Duration plainTimeout, DeadPeer deadPeer, Duration connectTimeout, boolean dns,
            Rekey.Limits rekey) {
        this(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait, keepalive, timeout,
                reconnectMax, plain, plainTimeout, deadPeer, connectTimeout, dns, rekey, FALLBACK_AFTER);
    }

    /** Settings that rekey at the default limits. */
    ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
            Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
            boolean plain, Duration plainTimeout, DeadPeer deadPeer, Duration connectTimeout, boolean dns) {
        this(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait, keepalive, timeout,
                reconnectMax, plain, plainTimeout, deadPeer, connectTimeout, dns, Rekey.Limits.DEFAULT);
    }

    /** The same settings, rekeying at {@code limits}. */
    ClientSettings withRekey(Rekey.Limits limits) {
        return new ClientSettings(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait,
                keepalive, timeout, reconnectMax, plain, plainTimeout, deadPeer, connectTimeout, dns, limits, fallbackAfter);
    }

    /** The same settings, giving a try that has a fallback {@code budget}. */
    ClientSettings withFallbackAfter(Duration budget) {
        return new ClientSettings(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait,
                keepalive, timeout, reconnectMax, plain, plainTimeout, deadPeer, connectTimeout, dns, rekey, budget);
    }

    /** Settings with the default dead-peer detection that use the resolvers a server pushes. */
    ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
            Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
            boolean plain, Duration plainTimeout) {
        this(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait, keepalive, timeout,
                reconnectMax, plain, plainTimeout, true);
    }

    /** Settings with the default dead-peer detection. */
    ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
            Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
            boolean plain, Duration plainTimeout, boolean dns) {
        this(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait, keepalive, timeout,
                reconnectMax, plain, plainTimeout, DeadPeer.DEFAULT, handshakeTimeout, dns);
    }

    /** Settings that use the resolvers a server pushes. */
    ClientSettings(String serverName, List<IpPrefix> staticAddresses, int mtu, boolean splitTunnel, boolean killSwitch,
            Duration handshakeTimeout, Duration configWait, Duration keepalive, Duration timeout, Duration reconnectMax,
            boolean plain, Duration plainTimeout, DeadPeer deadPeer, Duration connectTimeout) {
        this(serverName, staticAddresses, mtu, splitTunnel, killSwitch, handshakeTimeout, configWait, keepalive, timeout,
                reconnectMax, plain, plainTimeout, deadPeer, connectTimeout, true);
    }
}

package org.minivpn.api.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A way to carry packets between a client and a server over the network, such as DTLS over UDP.
 * Several may be registered at once; consumers pick one with a target filter on {@link #TYPE}, or
 * take the highest-ranked.
 *
 * <p>Credentials (certificates, keys, trust) belong to the transport's own configuration, not to
 * this contract.
 */
@ProviderType
public interface Transport {

    /** Service property: the transport's kind, e.g. "dtls" or "udp". */
    String TYPE = "transport.type";

    /** Service property: Boolean, true when records are encrypted and peers authenticated. */
    String SECURE = "transport.secure";

    /** The default UDP port of a MiniVPN server. */
    int DEFAULT_PORT = 23232;

    /** The value of {@link #TYPE}. */
    String type();

    /**
     * Opens a client session to {@code server} and completes the handshake within {@code timeout}.
     * Packets that arrive on the session are handed to {@code handler} from then on.
     *
     * @param serverName the DNS name or IP address the server's certificate must carry (RFC 6125:
     *     an address only as an IP subject alternative name, a name as a DNS one, the CN only for a
     *     name on a certificate without DNS names), or null to accept any identity the configured
     *     trust anchors vouch for
     * @throws java.net.SocketTimeoutException when the handshake did not finish in time
     * @throws NotConfiguredException when this appliance has no CA or no certificate of its own yet
     * @throws TransportException when the peer was refused or refused us; the message says why
     */
    Session connect(InetSocketAddress server, String serverName, SessionHandler handler, Duration timeout)
            throws IOException;

    /**
     * Binds a server socket and accepts sessions from any number of clients until the returned
     * server is closed. Each new session is announced to {@code handler} before its first packet.
     *
     * @throws java.net.BindException when the address is in use
     * @throws NotConfiguredException when this appliance has no CA or no certificate of its own yet
     */
    TransportServer listen(InetSocketAddress bind, SessionHandler handler) throws IOException;

    /**
     * The crypto backend new sessions would use now (e.g. "jca"), as {@link Session#cryptoBackend()}
     * names it; "" when the transport has none or does not say. A client whose session was made with
     * another one moves to a new session, so that a backend change reaches the running tunnel.
     */
    default String cryptoBackend() {
        return "";
    }
}

package org.minivpn.route.linux;

import java.io.IOException;

/**
 * A client and its gateway, in namespaces of their own:
 * <pre>
 *  mvrt-cl-* (client)                              mvrt-gw-* (its gateway)
 *    up0 198.18.20.2/30, 2001:db8:20::2/64 ---veth--- up0 198.18.20.1/30, 2001:db8:20::1/64
 *    default via 198.18.20.1 and 2001:db8:20::1
 *    mvtun0: a TUN (ip tuntap), 10.220.0.2/24, fd00:220::2/64
 *  the VPN server is 198.18.21.1, off-link: reached through the gateway
 * </pre>
 */
final class ClientTopology implements AutoCloseable {

    final Netns client;
    final Netns gateway;

    private ClientTopology(Netns client, Netns gateway) {
        this.client = client;
        this.gateway = gateway;
    }

    static ClientTopology create() throws IOException {
        Netns client = Netns.create("cl");
        Netns gateway = null;
        try {
            gateway = Netns.create("gw");
            client.veth("up0", gateway, "up0");
            client.ip("addr", "add", "198.18.20.2/30", "dev", "up0");
            client.ip("addr", "add", "2001:db8:20::2/64", "dev", "up0", "nodad");
            gateway.ip("addr", "add", "198.18.20.1/30", "dev", "up0");
            gateway.ip("addr", "add", "2001:db8:20::1/64", "dev", "up0", "nodad");
            client.ip("route", "add", "default", "via", "198.18.20.1");
            client.ip("-6", "route", "add", "default", "via", "2001:db8:20::1");
            client.exec("ip", "tuntap", "add", "dev", "mvtun0", "mode", "tun");
            client.ip("link", "set", "mvtun0", "up");
            client.ip("addr", "add", "10.220.0.2/24", "dev", "mvtun0");
            client.ip("addr", "add", "fd00:220::2/64", "dev", "mvtun0", "nodad");
            return new ClientTopology(client, gateway);
        } catch (IOException | RuntimeException e) {
            client.close();
            if (gateway != null) {
                gateway.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        client.close();
        gateway.close();
    }
}

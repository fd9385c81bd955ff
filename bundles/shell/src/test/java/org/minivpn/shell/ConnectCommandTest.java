package org.minivpn.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.Test;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.relay.ClientState;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ConnectRequest;
import org.minivpn.api.relay.Traffic;
import org.minivpn.api.relay.VpnClient;

/** vpn:connect's --plain flag reaches the client, and its answer says the tunnel is plain. */
class ConnectCommandTest {

    /** Records what it is asked; connected as plain when asked so. */
    private static final class Recording implements VpnClient {
        final List<ConnectRequest> requests = new ArrayList<>();

        @Override
        public void connect(ConnectRequest request) {
            requests.add(request);
        }

        @Override
        public void disconnect() {
        }

        @Override
        public ClientStatus status() {
            boolean plain = !requests.isEmpty() && requests.get(requests.size() - 1).plain();
            return new ClientStatus(ClientState.CONNECTED, "198.18.97.1:23232", List.of(IpPrefix.parse("10.0.3.3/24")),
                    "dtls", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Traffic.NONE, null, Instant.now(), 0, Instant.now(),
                    List.of(), true, 0, 0, plain);
        }
    }

    /** Commands whose client is {@code client}, set as SCR sets the dynamic reference. */
    static VpnCommands commands(VpnClient client) throws Exception {
        VpnCommands c = new VpnCommands(null);
        Field f = VpnCommands.class.getDeclaredField("client");
        f.setAccessible(true);
        f.set(c, client);
        return c;
    }

    @Test
    void plainIsPassedOnAndShown() throws Exception {
        Recording client = new Recording();
        VpnCommands vpn = commands(client);
        String answer = vpn.connect("", true, true, "198.18.97.1", 23232);
        assertTrue(client.requests.get(0).plain());
        assertEquals("198.18.97.1", client.requests.get(0).host());
        assertTrue(answer.contains("plain: IP packets only, no pushed routes, keepalives or RTT"), answer);

        String control = vpn.connect("", false, false, "198.18.0.1");
        assertFalse(client.requests.get(1).plain());
        assertFalse(control.contains("plain"), control);
        vpn.connect("", false, true);
        assertTrue(client.requests.get(2).plain(), "the form without a host takes the flag too");
    }

    @Test
    void everyFormOfConnectHasTheFlagWithHelp() {
        int forms = 0;
        for (Method m : VpnCommands.class.getMethods()) {
            if (!m.getName().equals("connect")) {
                continue;
            }
            forms++;
            boolean found = false;
            for (Parameter p : m.getParameters()) {
                org.apache.felix.service.command.Parameter flag =
                        p.getAnnotation(org.apache.felix.service.command.Parameter.class);
                if (flag != null && List.of(flag.names()).contains("--plain")) {
                    found = true;
                    assertTrue(p.getAnnotation(Descriptor.class).value().contains("original C MiniVPN"));
                }
            }
            assertTrue(found, m.toString());
        }
        assertEquals(3, forms);
    }
}

package org.minivpn.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minivpn.api.relay.ClientStatus;
import org.minivpn.api.relay.ConnectRequest;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.transport.NotConfiguredException;
import org.minivpn.api.transport.TransportException;

/**
 * vpn:connect typed into the real Gogo runtime on an appliance that was never set up answers with
 * the steps that set it up, and every failure prints as its message alone: the interactive shell
 * prints a failure's toString(), which for a plain exception starts with its class name.
 */
class FirstRunTest {

    private final ThreadIOImpl threadIo = new ThreadIOImpl();
    private CommandProcessorImpl processor;

    /** A client that fails every connect with {@code failure}, as the relay does. */
    private static VpnClient failing(IOException failure) {
        return new VpnClient() {
            @Override
            public void connect(ConnectRequest request) throws IOException {
                throw failure;
            }

            @Override
            public void disconnect() {
            }

            @Override
            public ClientStatus status() {
                throw new UnsupportedOperationException();
            }
        };
    }

    @BeforeEach
    void gogo() {
        threadIo.start();
        processor = new CommandProcessorImpl(threadIo);
    }

    @AfterEach
    void stop() {
        processor.stop();
        threadIo.stop();
    }

    /** What the shell prints when {@code line} fails with a client that fails with {@code failure}. */
    private String printed(IOException failure, String line) throws Exception {
        processor.addCommand("vpn", ConnectCommandTest.commands(failing(failure)));
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]),
                new ByteArrayOutputStream(), new ByteArrayOutputStream());
        Exception e = assertThrows(Exception.class, () -> session.execute(line));
        return e.toString();
    }

    @Test
    void connectWithoutACaSaysWhatIsMissingAndTheThreeStepsToGetGoing() throws Exception {
        String printed = printed(new NotConfiguredException("no CA configured: run vpn:pki init or set ca in"
                + " configs/org.minivpn.transport.dtls.cfg (/opt/minivpn/pki/ca.crt does not exist)"),
                "vpn:connect 188.166.77.84");
        assertTrue(printed.startsWith("this appliance is not set up as a VPN client yet: no CA configured"), printed);
        assertTrue(printed.contains("does not exist)\nTo get going:\n"), printed);
        assertFalse(printed.contains("Exception"), printed);
        assertTrue(printed.contains("1. on the server, once: vpn:pki init, vpn:pki server server --san 188.166.77.84,"
                + " vpn:serve"), printed);
        assertTrue(printed.contains("2. on the server, for this client: vpn:pki client NAME"), printed);
        assertTrue(printed.contains("vpn:pki export NAME --profile NAME.minivpn --server 188.166.77.84"), printed);
        assertTrue(printed.contains("3. here: vpn:import NAME.minivpn, then vpn:connect"), printed);
    }

    @Test
    void connectWithNoServerGivenNorConfiguredSaysTheSame() throws Exception {
        String printed = printed(new NotConfiguredException("no server given and none configured: vpn:connect <host>,"
                + " or set server in configs/org.minivpn.relay.client.cfg"), "vpn:connect");
        assertTrue(printed.startsWith("this appliance is not set up as a VPN client yet: no server given"), printed);
        assertTrue(printed.contains("--san ADDRESS"), "no server named: a placeholder\n" + printed);
        assertTrue(printed.contains("writes into this installation)"), printed);
    }

    @Test
    void anyOtherFailurePrintsAsItsMessageAlone() throws Exception {
        String why = "the server at 198.18.97.1:23232 refused this client: bad_certificate";
        assertEquals(why, printed(new TransportException(why), "vpn:connect 198.18.97.1"));
    }

    @Test
    void aMissingClientPrintsAsItsMessageAlone() throws Exception {
        processor.addCommand("vpn", ConnectCommandTest.commands(null));
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]),
                new ByteArrayOutputStream(), new ByteArrayOutputStream());
        Exception e = assertThrows(Exception.class, () -> session.execute("vpn:disconnect"));
        assertEquals("no VPN client is installed in this appliance (the relay bundle is missing)", e.toString());
    }
}

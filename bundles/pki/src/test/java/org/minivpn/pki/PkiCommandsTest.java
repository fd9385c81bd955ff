package org.minivpn.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vpn:pki as Gogo parses it: subcommands, flags anywhere, quoting, and the messages a user reads. */
class PkiCommandsTest {

    @TempDir
    Path home;

    private ThreadIOImpl threadIO;
    private CommandProcessorImpl processor;

    @BeforeEach
    void gogo() {
        threadIO = new ThreadIOImpl();
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        PkiCommands commands = new PkiCommands(new PkiCommands.Settings(home, home.resolve("pki"), 3650, 825, 180));
        processor.addCommand("vpn", commands, "pki");
        processor.addCommand("vpn", new ImportCommand(home.resolve("client")), "import");
    }

    @AfterEach
    void stop() {
        processor.stop();
        threadIO.stop();
    }

    @Test
    void aWholeRoundAsAUserTypesIt() throws Exception {
        String init = run("vpn:pki init 'Example VPN CA'");
        assertTrue(init.startsWith("created the CA 'Example VPN CA', valid until "), init);
        assertTrue(init.contains("pki/ca.key"), init);

        String server = run("vpn:pki server vpn.example.com --san 203.0.113.7,2001:db8::7 --days 400");
        assertTrue(server.contains("issued server certificate 'vpn.example.com'"), server);
        assertTrue(server.contains("DNS:vpn.example.com, IP:203.0.113.7, IP:2001:db8:0:0:0:0:0:7"), server);
        assertTrue(server.contains("cert = pki/vpn.example.com.crt"), server);

        String client = run("vpn:pki --days 10 client alice");
        assertTrue(client.contains("issued client certificate 'alice'"), client);
        assertTrue(client.contains("servers see it as 'alice'"), client);

        String list = run("vpn:pki list");
        assertTrue(list.contains("CA 'Example VPN CA'"), list);
        assertTrue(list.lines().anyMatch(l -> l.contains(" alice ") && l.contains("client") && l.endsWith("valid")), list);
        assertTrue(list.lines().anyMatch(l -> l.contains("vpn.example.com") && l.contains("server")), list);

        String export = run("vpn:pki export alice exports/alice --server vpn.example.com");
        assertTrue(export.contains("to " + home.resolve("exports/alice")), export);
        assertTrue(export.contains("pki/alice.key"), export);
        assertTrue(export.contains("mode 0600"), export);
        assertTrue(export.contains("configs/org.minivpn.relay.client.cfg"), export);
        assertTrue(export.contains("bin/minivpn-ctl vpn:connect"), export);
        assertTrue(Files.exists(home.resolve("exports/alice/pki/alice.key")), "relative to the installation folder");

        String revoke = run("vpn:pki revoke alice");
        assertTrue(revoke.startsWith("revoked 'alice'"), revoke);
        assertTrue(revoke.contains("pki/crl.pem is rewritten"), revoke);
        assertTrue(run("vpn:pki list").lines().anyMatch(l -> l.contains(" alice ") && l.contains("revoked")));

        String crl = run("vpn:pki crl");
        assertTrue(crl.contains("1 revoked"), crl);

        Openssl.Result r = Openssl.run(home.resolve("pki"), "verify", "-CAfile", "ca.crt", "-purpose", "sslserver",
                "-verify_hostname", "vpn.example.com", "vpn.example.com.crt");
        assertTrue(r.ok(), r.output());
    }

    @Test
    void aProfileIsExportedAndImportedAsAUserTypesIt() throws Exception {
        run("vpn:pki init");
        run("vpn:pki client alice");
        String export = run("vpn:pki export alice --profile alice.minivpn --server vpn.example.com --transport dtls");
        assertTrue(export.startsWith("exported the profile of 'alice' to " + home.resolve("alice.minivpn")), export);
        assertTrue(export.contains("bin/minivpn --import alice.minivpn"), export);
        assertTrue(Files.readString(home.resolve("alice.minivpn")).contains("transport = dtls\n"));
        assertTrue(failure("vpn:pki export alice --profile alice.minivpn --server vpn.example.com")
                .contains("already exists: give --force"));
        assertTrue(failure("vpn:pki export alice --profile x.minivpn").contains("add --server HOST"));
        assertTrue(failure("vpn:pki export alice x --transport dtls").contains("--transport goes with export --profile"));

        String imported = run("vpn:import ../alice.minivpn");
        assertTrue(imported.startsWith("imported the profile of 'alice'"), imported);
        assertTrue(Files.exists(home.resolve("client/pki/alice.key")), "relative to the installation folder");
        assertTrue(Files.readString(home.resolve("client/configs/org.minivpn.relay.client.cfg"))
                .contains("server = vpn.example.com\n"));
        run("vpn:pki export --force alice --profile alice.minivpn --server other.example.com");
        assertTrue(failure("vpn:import ../alice.minivpn").contains("sets server = vpn.example.com"));
        assertTrue(run("vpn:import --force ../alice.minivpn").contains("server = other.example.com"));
    }

    @Test
    void theCaNameMayBeSeveralWordsAndDefaultsToMiniVpnCa() throws Exception {
        assertTrue(run("vpn:pki init").contains("'MiniVPN CA'"));
        assertTrue(run("vpn:pki init --force Acme Corp VPN").contains("'Acme Corp VPN'"));
    }

    @Test
    void mistakesGetMessagesThatSayWhatToDo() throws Exception {
        assertEquals("no CA yet: run vpn:pki init (the CA folder is " + home.resolve("pki") + ")",
                failure("vpn:pki client alice"));
        run("vpn:pki init");
        assertTrue(failure("vpn:pki init").contains("give --force"));
        assertTrue(failure("vpn:pki frobnicate").contains("vpn:pki has no subcommand 'frobnicate'"));
        assertTrue(failure("vpn:pki frobnicate").contains("vpn:pki export NAME FOLDER"));
        assertTrue(failure("vpn:pki client").contains("takes one name"));
        assertTrue(failure("vpn:pki client alice bob").contains("takes one name"));
        assertTrue(failure("vpn:pki list now").contains("takes no arguments"));
        assertTrue(failure("vpn:pki export alice").contains("takes a name and a folder"));
        assertTrue(failure("vpn:pki revoke nobody").contains("no certificate was issued to 'nobody'"));
        run("vpn:pki client alice");
        assertTrue(failure("vpn:pki client alice").contains("already has a valid client certificate"));
        run("vpn:pki revoke alice");
        assertTrue(failure("vpn:pki revoke alice").contains("already revoked"));
    }

    private String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), print, print);
        try {
            Object result = session.execute(command);
            if (result != null) {
                print.print(session.format(result, Converter.INSPECT));
            }
        } finally {
            session.close();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private String failure(String command) {
        Exception e = assertThrows(Exception.class, () -> run(command));
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), e.toString());
        assertTrue(List.of(PkiException.class, IllegalArgumentException.class).contains(e.getClass()), e.toString());
        return e.getMessage();
    }
}

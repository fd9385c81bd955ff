package org.minivpn.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a client machine gets: its files, laid out like an installation, with the key readable by its owner only. */
class ExportTest {

    @TempDir
    Path home;

    private CertificateAuthority ca;

    @BeforeEach
    void ca() throws Exception {
        ca = new CertificateAuthority(home.resolve("pki"));
        ca.init("Test CA", Duration.ofDays(3650), false);
        ca.issueServer("vpn.example.com", List.of("203.0.113.7"), Duration.ofDays(30), false);
        ca.issueClient("alice", Duration.ofDays(30), false);
    }

    @Test
    void aClientGetsItsKeyCertificateCaCrlAndConfigurationFiles() throws Exception {
        Path out = home.resolve("export/alice");
        ExportedFiles f = ca.export("alice", out, "vpn.example.com:23232", false);

        assertEquals(out.resolve("pki/ca.crt"), f.caCertificate());
        assertEquals(out.resolve("pki/alice.crt"), f.certificate());
        assertEquals(out.resolve("pki/alice.key"), f.key());
        assertEquals(out.resolve("pki/crl.pem"), f.crl());
        assertEquals("rw-------", CertificateAuthorityTest.mode(f.key()));
        assertEquals("rwx------", CertificateAuthorityTest.mode(out.resolve("pki")));
        assertEquals("rw-r--r--", CertificateAuthorityTest.mode(f.certificate()));
        assertEquals(Files.readString(home.resolve("pki/alice.key")), Files.readString(f.key()));
        assertEquals(Files.readString(home.resolve("pki/ca.crt")), Files.readString(f.caCertificate()));

        try (Stream<Path> s = Files.walk(out)) {
            List<String> names = s.filter(Files::isRegularFile).map(p -> out.relativize(p).toString()).sorted().toList();
            assertEquals(List.of("configs/org.minivpn.relay.client.cfg", "configs/org.minivpn.transport.dtls.cfg",
                    "pki/alice.crt", "pki/alice.key", "pki/ca.crt", "pki/crl.pem"), names, "and never the CA key");
        }
        Properties transport = properties(f.transportConfig());
        assertEquals("pki/ca.crt", transport.getProperty("ca"));
        assertEquals("pki/alice.crt", transport.getProperty("cert"));
        assertEquals("pki/alice.key", transport.getProperty("key"));
        assertEquals("pki/crl.pem", transport.getProperty("crl"));
        assertEquals("vpn.example.com:23232", properties(f.clientConfig()).getProperty("server"));

        Openssl.Result r = Openssl.run(out.resolve("pki"), "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile",
                "crl.pem", "-purpose", "sslclient", "alice.crt");
        assertTrue(r.ok(), r.output());
    }

    @Test
    void withoutAServerThereIsNoClientConfigurationAndAServerCanBeExportedToo() throws Exception {
        ExportedFiles client = ca.export("alice", home.resolve("a"), "", false);
        assertNull(client.clientConfig());
        assertFalse(Files.exists(home.resolve("a/configs/org.minivpn.relay.client.cfg")));

        ExportedFiles server = ca.export("vpn.example.com", home.resolve("s"), "ignored.example.com", false);
        assertNull(server.clientConfig(), "a server has no client relay to configure");
        assertEquals("pki/vpn.example.com.key", properties(server.transportConfig()).getProperty("key"));
    }

    @Test
    void existingFilesAreReplacedOnlyWithForce() throws Exception {
        Path out = home.resolve("out");
        ca.export("alice", out, "vpn.example.com", false);
        Files.writeString(out.resolve("configs/org.minivpn.transport.dtls.cfg"), "edited = yes\n");

        PkiException e = assertThrows(PkiException.class, () -> ca.export("alice", out, "vpn.example.com", false));
        assertTrue(e.getMessage().contains("already exist in " + out), e.getMessage());
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertEquals("edited = yes\n", Files.readString(out.resolve("configs/org.minivpn.transport.dtls.cfg")));

        ca.export("alice", out, "vpn.example.com", true);
        assertEquals("pki/alice.crt", properties(out.resolve("configs/org.minivpn.transport.dtls.cfg")).getProperty("cert"));
        assertEquals("rw-------", CertificateAuthorityTest.mode(out.resolve("pki/alice.key")));
    }

    @Test
    void exportRefusesTheCaFolderItselfAndOddServerNames() {
        PkiException e = assertThrows(PkiException.class, () -> ca.export("alice", home, "", true));
        assertTrue(e.getMessage().contains("the CA's own folder"), e.getMessage());
        e = assertThrows(PkiException.class, () -> ca.export("alice", home.resolve("x"), "a b\nc=d", false));
        assertTrue(e.getMessage().contains("is not a server host"), e.getMessage());
        assertFalse(Files.exists(home.resolve("x")));
    }

    private static Properties properties(Path file) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file)));
        return p;
    }
}

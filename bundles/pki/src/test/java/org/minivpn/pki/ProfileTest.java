package org.minivpn.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One-file client profiles: written on the CA, put in place on a client installation that carries
 * the shipped configuration files, and refused whole when damaged, incomplete or in the way of
 * what the client already has.
 */
class ProfileTest {

    /** The configuration files the distribution ships (the repository's configs/). */
    private static final Path SHIPPED = Path.of("../../configs");

    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private Path client;
    private Path profile;

    @BeforeEach
    void caAndClient() throws Exception {
        ca = new CertificateAuthority(dir.resolve("server/pki"));
        ca.init("Test CA", Duration.ofDays(3650), false);
        ca.issueServer("vpn.example.com", List.of("203.0.113.7"), Duration.ofDays(30), false);
        ca.issueClient("alice", Duration.ofDays(30), false);
        ca.issueClient("bob", Duration.ofDays(30), false);
        client = installation("client");
        profile = ca.exportProfile("alice", dir.resolve("out/alice.minivpn"), "vpn.example.com:23232", "", false);
    }

    /** A fresh installation: the shipped configs/ and an empty pki/, as the distribution has them. */
    private Path installation(String name) throws Exception {
        Path home = dir.resolve(name);
        Files.createDirectories(home.resolve("configs"));
        try (Stream<Path> s = Files.list(SHIPPED)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".cfg")).toList()) {
                Files.copy(p, home.resolve("configs").resolve(p.getFileName()));
            }
        }
        return home;
    }

    @Test
    void aRoundTripPutsTheCasFilesInPlaceByteForByteAndSetsOnlyTheLinesItMust() throws Exception {
        assertEquals("rw-------", CertificateAuthorityTest.mode(profile));
        String text = Files.readString(profile);
        assertTrue(text.contains("server = vpn.example.com:23232\n"), text);
        assertFalse(text.contains("BEGIN EC PRIVATE KEY") || text.contains(Files.readString(ca.directory().resolve("ca.key"))),
                "never the CA key");
        String before = Files.readString(client.resolve(ProfileImport.TRANSPORT_CFG));

        String out = new ProfileImport(client).importFile(profile, false);
        assertTrue(out.startsWith("imported the profile of 'alice'"), out);
        assertTrue(out.contains("delete it"), out);

        for (String f : List.of("ca.crt", "alice.crt", "alice.key", "crl.pem")) {
            assertEquals(Files.readString(ca.directory().resolve(f)), Files.readString(client.resolve("pki").resolve(f)), f);
        }
        assertEquals("rw-------", CertificateAuthorityTest.mode(client.resolve("pki/alice.key")));
        assertEquals("rw-r--r--", CertificateAuthorityTest.mode(client.resolve("pki/alice.crt")));
        Properties transport = properties(client.resolve(ProfileImport.TRANSPORT_CFG));
        assertEquals("pki/ca.crt", transport.getProperty("ca"));
        assertEquals("pki/alice.crt", transport.getProperty("cert"));
        assertEquals("pki/alice.key", transport.getProperty("key"));
        assertEquals("pki/crl.pem", transport.getProperty("crl"));
        assertEquals("10", transport.getProperty("handshake.timeout"), "the other settings stay");
        String after = Files.readString(client.resolve(ProfileImport.TRANSPORT_CFG));
        assertEquals(before.lines().filter(l -> l.startsWith("#")).toList(),
                after.lines().filter(l -> l.startsWith("#")).toList(), "the comments stay");
        assertEquals(before.lines().count(), after.lines().count());

        String clientCfg = Files.readString(client.resolve(ProfileImport.CLIENT_CFG));
        assertEquals("vpn.example.com:23232", properties(client.resolve(ProfileImport.CLIENT_CFG)).getProperty("server"));
        assertTrue(clientCfg.contains("#server =\nserver = vpn.example.com:23232\n"), "beside its commented default:\n"
                + clientCfg);
        assertFalse(properties(client.resolve(ProfileImport.CLIENT_CFG)).containsKey("transport"),
                "an empty transport is the default, and the file keeps it unset");

        Map<String, String> files = snapshot(client);
        String again = new ProfileImport(client).importFile(profile, false);
        assertTrue(again.contains("(unchanged)"), again);
        assertEquals(files, snapshot(client), "importing the same profile again changes nothing");
    }

    @Test
    void aProfileCarriesTheTransportAndAnInstallationWithoutConfigsGetsItsFilesMade() throws Exception {
        Path p = ca.exportProfile("alice", dir.resolve("t.minivpn"), "[2001:db8::7]:4443", "dtls", false);
        Path bare = dir.resolve("bare");
        new ProfileImport(bare).importFile(p, false);
        assertEquals("[2001:db8::7]:4443", properties(bare.resolve(ProfileImport.CLIENT_CFG)).getProperty("server"));
        assertEquals("dtls", properties(bare.resolve(ProfileImport.CLIENT_CFG)).getProperty("transport"));
        assertEquals("pki/alice.key", properties(bare.resolve(ProfileImport.TRANSPORT_CFG)).getProperty("key"));
        assertEquals("rwx------", CertificateAuthorityTest.mode(bare.resolve("pki")));
    }

    @Test
    void nothingIsReplacedWithoutForce() throws Exception {
        new ProfileImport(client).importFile(ca.exportProfile("bob", dir.resolve("bob.minivpn"), "old.example.com", "",
                false), false);
        Map<String, String> bob = snapshot(client);

        PkiException e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(profile, false));
        assertTrue(e.getMessage().contains(ProfileImport.TRANSPORT_CFG + " uses cert = pki/bob.crt"), e.getMessage());
        assertTrue(e.getMessage().contains(ProfileImport.CLIENT_CFG + " sets server = old.example.com"), e.getMessage());
        assertTrue(e.getMessage().contains("Give --force"), e.getMessage());
        assertEquals(bob, snapshot(client), "a refusal writes nothing");

        Files.writeString(client.resolve("pki/alice.crt"), "someone else's\n");
        e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(profile, false));
        assertTrue(e.getMessage().contains("pki/alice.crt holds another certificate"), e.getMessage());

        new ProfileImport(client).importFile(profile, true);
        assertEquals(Files.readString(ca.certificateFile("alice")), Files.readString(client.resolve("pki/alice.crt")));
        assertEquals("pki/alice.crt", properties(client.resolve(ProfileImport.TRANSPORT_CFG)).getProperty("cert"));
        assertEquals("vpn.example.com:23232", properties(client.resolve(ProfileImport.CLIENT_CFG)).getProperty("server"));
        assertEquals("rw-------", CertificateAuthorityTest.mode(client.resolve("pki/alice.key")));
    }

    @Test
    void aServerInstallationIsNotTurnedIntoAClientByAccident() throws Exception {
        Path server = dir.resolve("server");
        Files.createDirectories(server.resolve("configs"));
        String serving = "cert = pki/vpn.example.com.crt\nkey = pki/vpn.example.com.key\n";
        Files.writeString(server.resolve(ProfileImport.TRANSPORT_CFG), serving);
        Map<String, String> before = snapshot(server);
        PkiException e = assertThrows(PkiException.class, () -> new ProfileImport(server).importFile(profile, false));
        assertTrue(e.getMessage().contains("uses cert = pki/vpn.example.com.crt"), e.getMessage());
        assertEquals(before, snapshot(server));
    }

    @Test
    void aDamagedOrIncompleteProfileIsRefusedWithWhatToDoAndNothingIsWritten() throws Exception {
        String good = Files.readString(profile);
        String bobKey = Files.readString(ca.keyFile("bob"));
        String aliceKey = Files.readString(ca.keyFile("alice"));
        String aliceCert = Files.readString(ca.certificateFile("alice"));
        CertificateAuthority other = new CertificateAuthority(dir.resolve("other/pki"));
        other.init("Other CA", Duration.ofDays(3650), false);
        other.issueClient("alice", Duration.ofDays(30), false);
        String otherCa = Files.readString(other.caCertificateFile());
        String otherCert = Files.readString(other.certificateFile("alice"));
        String certBody = aliceCert.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();

        Map<String, String> cases = new TreeMap<>();
        cases.put("has no </key>: the file is cut short", good.substring(0, good.indexOf("</key>")));
        cases.put("has no </cert> before <key>", good.replace("</cert>\n", ""));
        cases.put("the <cert> block is not a PEM certificate",
                good.replace(certBody, certBody.substring(0, 10) + "!!!!" + certBody.substring(14)));
        cases.put("does not belong to the certificate of 'alice'", good.replace(aliceKey, bobKey));
        cases.put("was issued by 'CN=Other CA', not by the CA in the profile", good.replace(aliceCert, otherCert));
        cases.put("names no server to connect to", good.replace("server = vpn.example.com:23232\n", ""));
        cases.put("has no <key> block", good.substring(0, good.indexOf("<key>")) + good.substring(good.indexOf("</key>\n") + 7));
        cases.put("unknown setting 'routing.target'", "routing.target = (route.type=none)\n" + good);
        cases.put("server = ${evil} is not a server to connect to",
                good.replace("server = vpn.example.com:23232", "server = ${evil}"));
        cases.put("is set twice", "server = elsewhere.example.com\n" + good);
        cases.put("a second <ca> block", good + "<ca>\n" + otherCa + "</ca>\n");
        cases.put("is not plain ASCII text", good.replace("# MiniVPN", "# Mini\u00e9VPN"));
        Map<String, String> before = snapshot(client);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path bad = dir.resolve("bad.minivpn");
            Files.write(bad, c.getValue().getBytes(StandardCharsets.UTF_8));
            PkiException e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(bad, true),
                    c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), c.getKey() + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(bad.toString()), "names the file: " + e.getMessage());
            assertEquals(before, snapshot(client), c.getKey() + ": nothing written");
        }

        // A CA of the same name whose key signed nothing here: only the signature tells them apart.
        CertificateAuthority twin = new CertificateAuthority(dir.resolve("twin/pki"));
        twin.init("Test CA", Duration.ofDays(3650), false);
        Path bad = dir.resolve("twin.minivpn");
        Files.writeString(bad, good.replace(Files.readString(ca.caCertificateFile()), Files.readString(twin.caCertificateFile())));
        PkiException e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(bad, true));
        assertTrue(e.getMessage().contains("is not signed by the CA in the profile"), e.getMessage());

        e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(dir.resolve("none.minivpn"), false));
        assertTrue(e.getMessage().contains("there is no profile"), e.getMessage());
        assertEquals(before, snapshot(client));
    }

    @Test
    void aRevokedCertificateIsRefusedByItsOwnProfilesCrl() throws Exception {
        ca.revoke("alice");
        ca.issueClient("alice", Duration.ofDays(30), false);
        String stale = Files.readString(profile);
        Path p = ca.exportProfile("alice", dir.resolve("new.minivpn"), "vpn.example.com", "", false);
        String crl = Files.readString(p).substring(Files.readString(p).indexOf("<crl>"));
        Path bad = dir.resolve("revoked.minivpn");
        Files.writeString(bad, stale.substring(0, stale.indexOf("<crl>")) + crl);
        PkiException e = assertThrows(PkiException.class, () -> new ProfileImport(client).importFile(bad, false));
        assertTrue(e.getMessage().contains("is revoked"), e.getMessage());
        new ProfileImport(client).importFile(p, false);
    }

    @Test
    void exportNeedsAServerAClientAndForceToReplace() throws Exception {
        PkiException e = assertThrows(PkiException.class,
                () -> ca.exportProfile("alice", dir.resolve("x.minivpn"), "", "", false));
        assertTrue(e.getMessage().contains("add --server HOST"), e.getMessage());
        e = assertThrows(PkiException.class,
                () -> ca.exportProfile("vpn.example.com", dir.resolve("x.minivpn"), "h", "", false));
        assertTrue(e.getMessage().contains("a profile is for a client"), e.getMessage());
        e = assertThrows(PkiException.class,
                () -> ca.exportProfile("alice", dir.resolve("x.minivpn"), "h", "dtls\nrouting.target=x", false));
        assertTrue(e.getMessage().contains("is not a transport type") || e.getMessage().contains("unknown setting"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("x.minivpn")));

        String first = Files.readString(profile);
        e = assertThrows(PkiException.class,
                () -> ca.exportProfile("alice", profile, "other.example.com", "", false));
        assertTrue(e.getMessage().contains("already exists: give --force"), e.getMessage());
        assertEquals(first, Files.readString(profile));
        ca.exportProfile("alice", profile, "other.example.com", "", true);
        assertTrue(Files.readString(profile).contains("server = other.example.com\n"));
        assertEquals("rw-------", CertificateAuthorityTest.mode(profile));
    }

    @Test
    void serversAreWhatTheClientRelayCanDial() {
        for (String ok : List.of("vpn.example.com", "vpn.example.com:23232", "203.0.113.7", "203.0.113.7:1",
                "2001:db8::7", "[2001:db8::7]", "[2001:db8::7]:65535")) {
            assertEquals(null, ClientProfile.serverProblem(ok), ok);
        }
        for (String bad : List.of("a b", "host:0", "host:65536", "host:x", "[2001:db8::7", "[nope]:1", "-a.example",
                "${x}", "h\\ost", "[::1]x")) {
            assertTrue(ClientProfile.serverProblem(bad) != null, bad);
        }
    }

    @Test
    void cfgTextSetsValuesInPlaceAndKeepsEverythingElse() {
        String text = "# head\na = 1\n#b =\nc = 3\na = 2\n";
        Map<String, String> values = new LinkedHashMap<>();
        values.put("a", "x");
        values.put("b", "y");
        values.put("d", "z");
        assertEquals("# head\na = x\n#b =\nb = y\nc = 3\nd = z\n", CfgText.set(text, values));
        assertEquals(text, CfgText.set(text, Map.of("e", "")), "an empty value for an unset key adds nothing");
        assertEquals(Map.of("a", "2", "c", "3"), CfgText.values(text));
    }

    private static Map<String, String> snapshot(Path home) throws Exception {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(home)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(home)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(home.relativize(p).toString(), Files.readString(p) + " " + CertificateAuthorityTest.mode(p));
            }
        }
        return out;
    }

    private static Properties properties(Path file) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file)));
        return p;
    }
}

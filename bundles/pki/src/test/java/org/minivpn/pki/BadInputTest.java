package org.minivpn.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Wrong names, repeats, missing and damaged files: a message that says what to do, and the folder unchanged. */
class BadInputTest {

    private static final Duration DAYS = Duration.ofDays(30);

    @TempDir
    Path dir;

    @Test
    void withoutACaEveryCommandSaysToRunInit() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir.resolve("pki"));
        for (Executable e : List.<Executable>of(() -> ca.issueClient("alice", DAYS, false),
                () -> ca.issueServer("vpn", List.of(), DAYS, false), () -> ca.revoke("alice"), ca::list, ca::renewCrl,
                () -> ca.export("alice", dir.resolve("out"), "", false))) {
            assertMessage(e, "no CA yet: run vpn:pki init");
        }
        assertFalse(Files.exists(dir.resolve("pki")));
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void aSecondInitIsRefusedWithoutForce() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("First", DAYS, false);
        Map<Path, String> before = snapshot();
        assertMessage(() -> ca.init("Second", DAYS, false), "a CA already exists", "--force");
        assertEquals(before, snapshot());
    }

    @Test
    void aNameWithAValidCertificateIsNotIssuedTwiceWithoutForce() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        ca.issueClient("alice", DAYS, false);
        Map<Path, String> before = snapshot();

        assertMessage(() -> ca.issueClient("alice", DAYS, false), "'alice' already has a valid client certificate",
                "vpn:pki revoke alice", "--force");
        assertMessage(() -> ca.issueServer("alice", List.of(), DAYS, false), "already has a valid client certificate");
        assertEquals(before, snapshot());

        CertificateAuthority.Issued again = ca.issueClient("alice", DAYS, true);
        assertEquals(2, ca.list().size());
        assertEquals(again.certificate(), ca.pem().certificate(dir.resolve("alice.crt")));
    }

    @Test
    void filesInTheWayAreNotOverwrittenWithoutForce() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        Files.writeString(dir.resolve("carol.key"), "someone else's key\n");
        assertMessage(() -> ca.issueClient("carol", DAYS, false), "carol.key already exist", "--force");
        assertEquals("someone else's key\n", Files.readString(dir.resolve("carol.key")));
        assertEquals(List.of(), ca.list());
    }

    @Test
    void unknownNamesAndRepeatedRevocationsAreRefused() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        ca.issueClient("alice", DAYS, false);
        assertMessage(() -> ca.revoke("bob"), "no certificate was issued to 'bob'", "vpn:pki list");
        ca.revoke("alice");
        Map<Path, String> before = snapshot();
        assertMessage(() -> ca.revoke("alice"), "'alice' is already revoked");
        assertEquals(before, snapshot(), "a second revoke writes nothing, not even the CRL");
        assertMessage(() -> ca.export("alice", dir.resolve("out"), "", false), "'alice' has no current certificate",
                "revoked on", "vpn:pki client alice");
        assertMessage(() -> ca.export("bob", dir.resolve("out"), "", false), "no certificate was issued to 'bob'");
    }

    @Test
    void namesThatAreNoFileNamesOrBelongToTheCaAreRefused() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        for (String bad : List.of("../alice", "a/b", ".hidden", "-flag", "with space", "", "x".repeat(65))) {
            assertMessage(() -> ca.issueClient(bad, DAYS, false), bad.isEmpty() ? "a name is missing" : "is not a usable name");
        }
        for (String reserved : List.of("ca", "CRL", "index", "revoked")) {
            assertMessage(() -> ca.issueClient(reserved, DAYS, false), "is reserved");
        }
        assertMessage(() -> ca.export("ca", dir.resolve("out"), "", false), "is reserved");
        assertMessage(() -> ca.issueServer("vpn", List.of("not a host!"), DAYS, false), "neither an IP address nor a DNS name");
        assertMessage(() -> ca.init("x".repeat(65), DAYS, true), "at most 64");
        assertEquals(List.of(), ca.list());
    }

    @Test
    void damagedFilesAreNamedWithWhatToDo() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        ca.issueClient("alice", DAYS, false);
        String key = Files.readString(dir.resolve("ca.key"));

        Files.writeString(dir.resolve("ca.key"), "garbage\n");
        assertMessage(() -> ca.issueClient("bob", DAYS, false), "cannot read " + dir.resolve("ca.key"),
                "restore ca.key from a backup");
        assertMessage(() -> ca.revoke("alice"), "cannot read " + dir.resolve("ca.key"));

        Files.copy(dir.resolve("alice.key"), dir.resolve("ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertMessage(() -> ca.issueClient("bob", DAYS, false), "does not belong to");

        Files.writeString(dir.resolve("ca.key"), key);
        Files.delete(dir.resolve("ca.crt"));
        assertMessage(() -> ca.issueClient("bob", DAYS, false), "no CA yet");
        Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertMessage(ca::list, "cannot read " + dir.resolve("ca.crt"), "restore ca.crt from a backup");
        assertFalse(Files.exists(dir.resolve("bob.key")));
        assertFalse(Files.exists(dir.resolve("bob.crt")));
    }

    @Test
    void aDamagedIndexIsReportedByLine() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        ca.issueClient("alice", DAYS, false);
        Files.writeString(dir.resolve("index.txt"), "ZZ\talice\tclient\tnever\t-\n", java.nio.file.StandardOpenOption.APPEND);
        assertMessage(ca::list, "is damaged at line 3");
        assertMessage(() -> ca.issueClient("bob", DAYS, false), "is damaged at line 3");
        assertFalse(Files.exists(dir.resolve("bob.key")));
    }

    @Test
    void aWriteThatFailsHalfWayRemovesWhatItCreated() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(dir);
        ca.init("CA", DAYS, false);
        // A non-empty folder where the certificate should go: the key is written, the certificate cannot be.
        Files.createDirectories(dir.resolve("dave.crt").resolve("in-the-way"));
        Map<Path, String> before = snapshot();

        assertMessage(() -> ca.issueClient("dave", DAYS, true), "cannot write to " + dir, "nothing was changed");

        assertFalse(Files.exists(dir.resolve("dave.key")), "the key written before the failure is gone again");
        assertEquals(before, snapshot());
        assertEquals(List.of(), ca.list());
    }

    private static void assertMessage(Executable call, String... parts) {
        PkiException e = assertThrows(PkiException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    /** Every regular file under the folder with its content. */
    private Map<Path, String> snapshot() throws Exception {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p), Files.readString(p));
            }
        }
        return files;
    }
}

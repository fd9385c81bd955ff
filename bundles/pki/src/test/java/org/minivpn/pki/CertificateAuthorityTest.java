package org.minivpn.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.pki.CertificateAuthority.Issued;
import org.minivpn.pki.IssuedCertificate.Kind;
import org.minivpn.pki.IssuedCertificate.Status;

/** What the CA writes, checked with openssl where a second opinion matters. */
class CertificateAuthorityTest {

    @TempDir
    Path dir;

    private CertificateAuthority ca() {
        return new CertificateAuthority(dir);
    }

    @Test
    void initWritesAnEcCaAnEmptySignedCrlAndAnOwnerOnlyKey() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        ca().init("Test CA", CertificateAuthority.DEFAULT_CA_VALIDITY, false);

        assertEquals("rwx------", mode(dir), "the folder holding the CA key is its owner's alone");

        assertEquals("rw-------", mode(dir.resolve("ca.key")));
        assertEquals("rw-r--r--", mode(dir.resolve("ca.crt")));
        assertTrue(Files.readString(dir.resolve("ca.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(Files.readString(dir.resolve("crl.pem")).startsWith("-----BEGIN X509 CRL-----"));

        Openssl.Result text = Openssl.run(dir, "x509", "-in", "ca.crt", "-noout", "-text");
        assertTrue(text.ok(), text.output());
        assertTrue(text.output().contains("Subject: CN = Test CA"), text.output());
        assertTrue(text.output().contains("prime256v1"), text.output());
        assertTrue(text.output().contains("ecdsa-with-SHA256"), text.output());
        assertTrue(text.output().contains("CA:TRUE"), text.output());
        assertTrue(text.output().contains("Certificate Sign, CRL Sign"), text.output());
        Openssl.Result selfSigned = Openssl.run(dir, "verify", "-CAfile", "ca.crt", "ca.crt");
        assertTrue(selfSigned.ok(), selfSigned.output());

        Openssl.Result key = Openssl.run(dir, "pkey", "-in", "ca.key", "-noout", "-text");
        assertTrue(key.ok() && key.output().contains("prime256v1"), key.output());

        Openssl.Result crl = Openssl.run(dir, "crl", "-in", "crl.pem", "-CAfile", "ca.crt", "-noout", "-text");
        assertTrue(crl.ok(), crl.output());
        assertTrue(crl.output().contains("No Revoked Certificates"), crl.output());
        assertTrue(crl.output().contains("Next Update:"), crl.output());
        assertTrue(crl.output().contains("verify OK") || crl.output().contains("verify ok"), crl.output());
        assertNoTemporaryFiles();
    }

    @Test
    void serverAndClientChainsVerifyForTheirPurposeAndNames() throws Exception {
        CertificateAuthority ca = ca();
        ca.init(null, Duration.ofDays(3650), false);
        Issued server = ca.issueServer("vpn.example.com", List.of("203.0.113.7", " 2001:db8::7", "vpn2.example.com"),
                CertificateAuthority.DEFAULT_VALIDITY, false);
        Issued client = ca.issueClient("alice", CertificateAuthority.DEFAULT_VALIDITY, false);

        assertEquals(dir.resolve("vpn.example.com.crt"), server.certificateFile());
        assertEquals("rw-------", mode(server.keyFile()));
        assertEquals("rw-------", mode(client.keyFile()));
        assertTrue(Files.readString(client.keyFile()).startsWith("-----BEGIN PRIVATE KEY-----"));

        assertVerifies("-purpose", "sslserver", "-verify_hostname", "vpn.example.com", "vpn.example.com.crt");
        assertVerifies("-purpose", "sslserver", "-verify_hostname", "vpn2.example.com", "vpn.example.com.crt");
        assertVerifies("-purpose", "sslserver", "-verify_ip", "203.0.113.7", "vpn.example.com.crt");
        assertVerifies("-purpose", "sslserver", "-verify_ip", "2001:db8::7", "vpn.example.com.crt");
        assertVerifies("-purpose", "sslclient", "alice.crt");
        assertFalse(verify("-purpose", "sslserver", "alice.crt").ok(), "a client certificate is no server's");
        assertFalse(verify("-purpose", "sslclient", "vpn.example.com.crt").ok(), "a server certificate is no client's");
        assertFalse(verify("-purpose", "sslserver", "-verify_hostname", "evil.example.com", "vpn.example.com.crt").ok());

        Openssl.Result subject = Openssl.run(dir, "x509", "-in", "alice.crt", "-noout", "-subject", "-issuer");
        assertTrue(subject.output().contains("subject=CN = alice"), subject.output());
        assertTrue(subject.output().contains("issuer=CN = MiniVPN CA"), subject.output());

        for (String name : List.of("alice", "vpn.example.com")) {
            String fromKey = Openssl.run(dir, "pkey", "-in", name + ".key", "-pubout").output();
            String fromCert = Openssl.run(dir, "x509", "-in", name + ".crt", "-noout", "-pubkey").output();
            assertEquals(fromCert, fromKey, "the key of " + name + " is its certificate's");
        }
        assertNoTemporaryFiles();
    }

    @Test
    void aRevokedClientIsRevokedForOpensslAndTheOthersStayValid() throws Exception {
        CertificateAuthority ca = ca();
        ca.init("Test CA", Duration.ofDays(3650), false);
        Issued alice = ca.issueClient("alice", Duration.ofDays(30), false);
        ca.issueClient("bob", Duration.ofDays(30), false);
        BigInteger firstNumber = crlNumber(ca.crl());

        List<IssuedCertificate> revoked = ca.revoke("alice");

        assertEquals(1, revoked.size());
        assertEquals(alice.entry().serial(), revoked.get(0).serial());
        Path aside = dir.resolve("revoked").resolve(alice.entry().serialHex() + ".crt");
        assertTrue(Files.exists(aside), "the revoked certificate moved aside");
        assertFalse(Files.exists(dir.resolve("alice.crt")));
        assertEquals("rw-------", mode(dir.resolve("revoked").resolve(alice.entry().serialHex() + ".key")));

        Openssl.Result check = verify("-crl_check", "-CRLfile", "crl.pem", aside.toString());
        assertFalse(check.ok(), check.output());
        assertTrue(check.output().contains("certificate revoked"), check.output());
        assertVerifies("-crl_check", "-CRLfile", "crl.pem", "bob.crt");
        assertVerifies(aside.toString()); // without the CRL it is still a well-made certificate

        X509CRL crl = ca.crl();
        assertEquals(1, crl.getRevokedCertificates().size());
        assertTrue(crl.isRevoked(alice.certificate()));
        assertEquals(firstNumber.add(BigInteger.ONE), crlNumber(crl));
        assertTrue(crl.getNextUpdate().toInstant().isAfter(Instant.now().plus(Duration.ofDays(170))));

        List<IssuedCertificate> listed = ca.list();
        assertEquals(List.of("alice", "bob"), listed.stream().map(IssuedCertificate::name).toList());
        assertEquals(Status.REVOKED, listed.get(0).status(Instant.now()));
        assertEquals(Status.VALID, listed.get(1).status(Instant.now()));

        Issued again = ca.issueClient("alice", Duration.ofDays(30), false);
        assertVerifies("-crl_check", "-CRLfile", "crl.pem", "alice.crt");
        assertFalse(again.entry().serial().equals(alice.entry().serial()));
        assertNoTemporaryFiles();
    }

    @Test
    void theCrlCanBeSignedAgainAndKeepsItsRevocations() throws Exception {
        CertificateAuthority ca = ca();
        ca.init("Test CA", Duration.ofDays(3650), false);
        Issued alice = ca.issueClient("alice", Duration.ofDays(30), false);
        ca.revoke("alice");
        BigInteger before = crlNumber(ca.crl());

        X509CRL renewed = ca.renewCrl();

        assertEquals(before.add(BigInteger.ONE), crlNumber(renewed));
        assertTrue(renewed.isRevoked(alice.certificate()));
        assertEquals(renewed, ca.crl());
    }

    @Test
    void serialsAreUniquePositiveAndTheIndexRemembersEverything() throws Exception {
        CertificateAuthority ca = ca();
        ca.init("Test CA", Duration.ofDays(3650), false);
        ca.issueServer("10.0.0.1", List.of(), Duration.ofDays(30), false);
        for (int i = 0; i < 5; i++) {
            ca.issueClient("client" + i, Duration.ofDays(30), false);
        }
        List<IssuedCertificate> listed = new CertificateAuthority(dir).list();
        assertEquals(6, listed.size());
        assertEquals(6, listed.stream().map(IssuedCertificate::serial).distinct().count());
        assertTrue(listed.stream().allMatch(c -> c.serial().signum() > 0 && c.serial().bitLength() <= 127));
        assertEquals(Kind.SERVER, listed.get(0).kind());
        assertNull(listed.get(0).revokedAt());
        assertVerifies("-purpose", "sslserver", "-verify_ip", "10.0.0.1", "10.0.0.1.crt");
    }

    @Test
    void aCertificateNeverOutlivesItsCa() throws Exception {
        CertificateAuthority ca = ca();
        ca.init("Short CA", Duration.ofDays(30), false);
        Issued client = ca.issueClient("alice", Duration.ofDays(825), false);
        assertTrue(client.cutToCaExpiry());
        assertEquals(ca.caCertificate().getNotAfter(), client.certificate().getNotAfter());
        assertTrue(ca.crlNextUpdate().orElseThrow().compareTo(ca.caCertificate().getNotAfter().toInstant()) <= 0,
                "nor does the CRL promise a next update after the CA's end");
    }

    @Test
    void initWithForceReplacesTheCaAndForgetsWhatTheOldOneIssued() throws Exception {
        CertificateAuthority ca = ca();
        ca.init("Old CA", Duration.ofDays(3650), false);
        ca.issueClient("alice", Duration.ofDays(30), false);

        ca.init("New CA", Duration.ofDays(3650), true);

        assertEquals(List.of(), ca.list());
        assertFalse(verify("alice.crt").ok(), "the old CA's certificates no longer validate");
        ca.issueClient("bob", Duration.ofDays(30), false);
        assertVerifies("bob.crt");
    }

    @Test
    void anExpiredCaCanStillListButNoLongerSign() throws Exception {
        Instant past = Instant.now().minus(Duration.ofDays(40));
        new CertificateAuthority(dir, Clock.fixed(past, ZoneOffset.UTC), Duration.ofDays(5))
                .init("Old CA", Duration.ofDays(10), false);
        CertificateAuthority ca = ca();
        new CertificateAuthority(dir, Clock.fixed(past.plusSeconds(60), ZoneOffset.UTC), Duration.ofDays(5))
                .issueClient("alice", Duration.ofDays(5), false);

        assertEquals(Status.EXPIRED, ca.list().get(0).status(Instant.now()));
        PkiException e = org.junit.jupiter.api.Assertions.assertThrows(PkiException.class,
                () -> ca.issueClient("bob", Duration.ofDays(5), false));
        assertTrue(e.getMessage().startsWith("the CA expired on "), e.getMessage());
        assertTrue(e.getMessage().contains("vpn:pki init --force"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("bob.key")));
    }

    private Openssl.Result verify(String... args) {
        String[] cmd = Stream.concat(Stream.of("verify", "-CAfile", "ca.crt"), Stream.of(args)).toArray(String[]::new);
        return Openssl.run(dir, cmd);
    }

    private void assertVerifies(String... args) {
        Openssl.Result r = verify(args);
        assertTrue(r.ok() && r.output().contains(": OK"), "openssl verify " + String.join(" ", args) + ":\n" + r.output());
    }

    private void assertNoTemporaryFiles() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> tmp = s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
            assertEquals(List.of(), tmp);
        }
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static BigInteger crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue("2.5.29.20");
        return org.bouncycastle.asn1.ASN1Integer.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getValue();
    }
}

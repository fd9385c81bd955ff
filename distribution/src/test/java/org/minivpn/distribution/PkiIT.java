package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.minivpn.distribution.Appliances.Result;
import org.minivpn.distribution.Appliances.Running;
import org.minivpn.testsupport.Needs;

/**
 * The built-in CA as a person uses it: bin/minivpn-ctl vpn:pki against a running appliance, and
 * what it writes checked with openssl.
 */
public class PkiIT {

    @Test
    public void vpnPkiMakesAChainOpensslAcceptsAndRevokesThroughMinivpnCtl() throws Exception {
        Path home = Appliances.copy("pki");
        Path pki = home.resolve("pki");
        try (Running app = new Running(home).awaitReady()) {
            Result help = app.ctl("help", "vpn:pki");
            assertEquals(help.err(), 0, help.status());
            assertTrue(help.out(), help.out().contains("the built-in certificate authority"));
            assertTrue(help.out(), help.out().contains("--san"));
            assertTrue(help.out(), help.out().contains("export NAME FOLDER"));

            Result none = app.ctl("vpn:pki", "client", "alice");
            assertEquals(1, none.status());
            assertTrue(none.err(), none.err().contains("no CA yet: run vpn:pki init"));

            ok(app.ctl("vpn:pki", "init", "'Integration CA'"));
            ok(app.ctl("vpn:pki", "server", "vpn.example.com", "--san", "127.0.0.1"));
            Result alice = ok(app.ctl("vpn:pki", "client", "alice"));
            assertTrue(alice.out(), alice.out().contains("issued client certificate 'alice'"));
            ok(app.ctl("vpn:pki", "client", "bob"));

            Result again = app.ctl("vpn:pki", "client", "alice");
            assertEquals(1, again.status());
            assertTrue(again.err(), again.err().contains("already has a valid client certificate"));

            for (String key : List.of("ca.key", "vpn.example.com.key", "alice.key")) {
                assertEquals(key, "rw-------", mode(pki.resolve(key)));
            }
            assertEquals("rwx------", mode(pki));
            assertVerifies(pki, "-purpose", "sslserver", "-verify_ip", "127.0.0.1", "vpn.example.com.crt");
            assertVerifies(pki, "-purpose", "sslclient", "alice.crt");

            Result export = ok(app.ctl("vpn:pki", "export", "alice", "export/alice", "--server", "vpn.example.com"));
            Path out = home.resolve("export/alice");
            assertTrue(export.out(), export.out().contains(out.toString()));
            assertEquals("rw-------", mode(out.resolve("pki/alice.key")));
            assertFalse(Files.exists(out.resolve("pki/ca.key")));
            assertTrue(Files.readString(out.resolve("configs/org.minivpn.transport.dtls.cfg")).contains("cert = pki/alice.crt"));
            assertTrue(Files.readString(out.resolve("configs/org.minivpn.relay.client.cfg")).contains("server = vpn.example.com"));
            assertVerifies(out.resolve("pki"), "-crl_check", "-CRLfile", "crl.pem", "alice.crt");

            Result revoke = ok(app.ctl("vpn:pki", "revoke", "alice"));
            assertTrue(revoke.out(), revoke.out().contains("pki/crl.pem is rewritten"));
            Path revoked;
            try (var s = Files.list(pki.resolve("revoked"))) {
                revoked = s.filter(p -> p.toString().endsWith(".crt")).findFirst().orElseThrow();
            }
            Result check = openssl(pki, "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "crl.pem", revoked.toString());
            assertTrue(check.out(), check.status() != 0 && check.out().contains("certificate revoked"));
            assertVerifies(pki, "-crl_check", "-CRLfile", "crl.pem", "bob.crt");

            Result list = ok(app.ctl("vpn:pki", "list"));
            assertTrue(list.out(), list.out().lines().anyMatch(l -> l.contains(" alice ") && l.contains("revoked")));
            assertTrue(list.out(), list.out().lines().anyMatch(l -> l.contains(" bob ") && l.endsWith("valid")));
        }
    }

    @Test
    public void aProfileFromTheServerIsPutInPlaceByBinMinivpnImportAndVpnImport() throws Exception {
        Path server = Appliances.copy("profile-server");
        Path client = Appliances.copy("profile-client");
        try (Running app = new Running(server).awaitReady()) {
            ok(app.ctl("vpn:pki", "init"));
            ok(app.ctl("vpn:pki", "client", "alice"));
            ok(app.ctl("vpn:pki", "client", "bob"));
            Result export = ok(app.ctl("vpn:pki", "export", "alice", "--profile", "alice.minivpn", "--server",
                    "vpn.example.com:23232"));
            assertTrue(export.out(), export.out().contains("bin/minivpn --import alice.minivpn"));
            ok(app.ctl("vpn:pki", "export", "bob", "--profile", "bob.minivpn", "--server", "other.example.com"));
        }
        Path alice = server.resolve("alice.minivpn");
        assertEquals("rw-------", mode(alice));

        Result imported = Appliances.exec(client, "bin/minivpn", "--import", alice.toString());
        assertEquals(imported.err() + imported.out(), 0, imported.status());
        assertTrue(imported.out(), imported.out().startsWith("imported the profile of 'alice'"));
        for (String f : List.of("ca.crt", "alice.crt", "alice.key", "crl.pem")) {
            assertEquals(f, Files.readString(server.resolve("pki").resolve(f)), Files.readString(client.resolve("pki").resolve(f)));
        }
        assertEquals("rw-------", mode(client.resolve("pki/alice.key")));
        assertTrue(Files.readString(client.resolve("configs/org.minivpn.relay.client.cfg"))
                .contains("\nserver = vpn.example.com:23232\n"));
        try (var s = Files.list(client.resolve("run"))) {
            assertTrue("an import leaves no class data archive", s.noneMatch(p -> p.toString().endsWith(".jsa")));
        } catch (java.nio.file.NoSuchFileException e) {
            // no run/ at all: nothing there either
        }

        Path bob = server.resolve("bob.minivpn");
        Result refused = Appliances.exec(client, "bin/minivpn", "--import", bob.toString());
        assertEquals(refused.out(), 1, refused.status());
        assertTrue(refused.err(), refused.err().contains("sets server = vpn.example.com:23232"));
        assertTrue(refused.err(), refused.err().contains("Give --force"));
        Files.writeString(client.resolve("damaged.minivpn"), Files.readString(bob).replace("</key>", ""));

        try (Running app = new Running(client).awaitReady()) {
            awaitLog(app, "DTLS credentials: certificate 'alice'");
            Result damaged = app.ctl("vpn:import", "--force", "damaged.minivpn");
            assertEquals(damaged.out(), 1, damaged.status());
            assertTrue(damaged.err(), damaged.err().contains("has no </key> before <crl>"));
            Result again = app.ctl("vpn:import", bob.toString());
            assertEquals(again.out(), 1, again.status());
            assertTrue(again.err(), again.err().contains("uses cert = pki/alice.crt"));
            ok(app.ctl("vpn:import", "--force", bob.toString()));
            awaitLog(app, "DTLS credentials re-read: certificate 'bob'");
        }
    }

    /** Waits up to 20 s for the appliance's log to show {@code text}. */
    private static void awaitLog(Running app, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!app.output().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the log never said '" + text + "':\n" + app.output());
            }
            Thread.sleep(100);
        }
    }

    private static Result ok(Result r) {
        assertEquals(r.err() + r.out(), 0, r.status());
        return r;
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static void assertVerifies(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("verify", "-CAfile", "ca.crt"));
        cmd.addAll(List.of(args));
        Result r = openssl(dir, cmd.toArray(String[]::new));
        assertTrue("openssl " + cmd + ":\n" + r.out(), r.status() == 0 && r.out().contains(": OK"));
    }

    /** Runs openssl in {@code dir}; the test is skipped, with a message, when openssl is not installed. */
    private static Result openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        String why = Needs.unmet(false, "openssl");
        assumeTrue(why, why == null);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(String.join(" ", cmd) + " finished", p.waitFor(30, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, "");
    }
}

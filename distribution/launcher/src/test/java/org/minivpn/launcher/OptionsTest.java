package org.minivpn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.launcher.Main.Options;

class OptionsTest {

    @Test
    void commandsKeepTheirOrderAndHeadlessFollowsTheTerminal() {
        Options o = Options.parse(new String[] {"-c", "vpn:serve", "--command", "vpn:status"}, false);
        assertEquals(List.of("vpn:serve", "vpn:status"), o.commands());
        assertFalse(o.headless());
        assertTrue(Options.parse(new String[0], true).headless(), "no terminal means headless");
        assertTrue(Options.parse(new String[] {"--headless"}, false).headless());
    }

    @Test
    void misuseIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Options.parse(new String[] {"-c"}, false));
        assertTrue(e.getMessage().contains("needs a Gogo command"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"vpn:connect"}, false));
        assertTrue(e.getMessage().contains("unknown argument"), e.getMessage());
    }

    @Test
    void importTakesAFileAndForceAndRunsOnItsOwn() {
        Options o = Options.parse(new String[] {"--import", "alice.minivpn", "--force"}, true);
        assertEquals("alice.minivpn", o.importFile());
        assertTrue(o.force());
        assertEquals(null, Options.parse(new String[0], true).importFile());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Options.parse(new String[] {"--import"}, false));
        assertTrue(e.getMessage().contains("--import needs a profile"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--force"}, false));
        assertTrue(e.getMessage().contains("--force goes with --import"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Options.parse(new String[] {"--import", "a.minivpn", "-c", "vpn:connect"}, false));
        assertTrue(e.getMessage().contains("runs on its own"), e.getMessage());
    }

    /**
     * The import runs in the launcher's class path, where Bouncy Castle is not (the pom excludes it
     * here as bin/minivpn leaves it out there): a profile is read and refused without it.
     */
    @Test
    void importRefusesADamagedProfileWithoutBouncyCastle(@TempDir Path home) throws Exception {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.bouncycastle.jce.provider.BouncyCastleProvider"));
        Path profile = home.resolve("alice.minivpn");
        Files.writeString(profile, "server = vpn.example.com\n<ca>\n-----BEGIN CERTIFICATE-----\nAAAA\n");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(1, Main.importProfile(home, profile, false));
        } finally {
            System.setErr(err);
        }
        String message = captured.toString(StandardCharsets.UTF_8);
        assertTrue(message.startsWith("minivpn: " + profile + ": the <ca> block of line 2 has no </ca>"), message);
        assertFalse(Files.exists(home.resolve("pki")));
    }

    @Test
    void variablesInTheConfigurationAreSubstituted() {
        assertEquals("/opt/minivpn/configs,/opt/minivpn/deploy",
                Appliance.substitute("${minivpn.home}/configs,${minivpn.home}/deploy", Map.of("minivpn.home", "/opt/minivpn")));
        assertEquals("a$b", Appliance.substitute("a$b", Map.of()));
    }
}

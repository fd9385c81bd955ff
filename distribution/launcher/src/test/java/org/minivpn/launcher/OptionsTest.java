package org.minivpn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
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
    void variablesInTheConfigurationAreSubstituted() {
        assertEquals("/opt/minivpn/configs,/opt/minivpn/deploy",
                Appliance.substitute("${minivpn.home}/configs,${minivpn.home}/deploy", Map.of("minivpn.home", "/opt/minivpn")));
        assertEquals("a$b", Appliance.substitute("a$b", Map.of()));
    }
}

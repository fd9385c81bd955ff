package org.minivpn.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * The end-to-end test: scripts/demo --check, as root, in network namespaces it creates and deletes.
 * Two launched distributions, certificates from vpn:pki, DTLS, real routing and NAT, real traffic.
 */
public class EndToEndIT {

    @Test
    public void theDemoPassesItsChecks() throws Exception {
        assumeTrue("needs root: network namespaces and TUN devices", "root".equals(System.getProperty("user.name")));
        for (String tool : new String[] {"ip", "nft", "python3", "curl", "ping", "tcpdump"}) {
            assumeTrue(tool + " is missing (.ci/run installs it)", onPath(tool));
        }
        Path repo = ApplianceOptions.dist().getParent().getParent().getParent();
        Path log = Path.of(System.getProperty("minivpn.test.dir", "target/it")).toAbsolutePath().resolve("e2e.log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(repo.resolve("scripts/demo").toString(), "--check")
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        System.out.println(out);
        assertEquals("scripts/demo --check finished within 240 s:\n" + out, true, done);
        assertEquals("scripts/demo --check:\n" + out, 0, p.exitValue());
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}

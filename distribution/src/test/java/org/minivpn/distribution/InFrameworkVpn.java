package org.minivpn.distribution;

import static org.junit.Assert.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.felix.service.command.CommandProcessor;
import org.minivpn.api.tun.TunDevice;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A server and a client relay inside one Pax Exam framework, as a test drives them: configuration
 * through ConfigAdmin, memory TUN devices whose kernel sides the test writes and reads, and vpn:
 * commands in Gogo sessions. Runs inside the framework only.
 */
final class InFrameworkVpn {

    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final CommandProcessor processor;

    InFrameworkVpn(BundleContext context, ConfigurationAdmin configAdmin, CommandProcessor processor) {
        this.context = context;
        this.configAdmin = configAdmin;
        this.processor = processor;
    }

    void update(String pid, Map<String, String> properties) throws Exception {
        configAdmin.getConfiguration(pid, "?").update(new Hashtable<>(properties));
    }

    void memoryTun(String name) throws Exception {
        configAdmin.createFactoryConfiguration("org.minivpn.tun.memory", "?")
                .update(new Hashtable<>(Map.of("name", name, "mtu", "1400")));
    }

    /** The device with that name, or with kernel=true its kernel side; null when not there yet. */
    TunDevice device(String name, boolean kernel) {
        try {
            // The kernel side is registered only as the memory backend's own class.
            String type = kernel ? "org.minivpn.tun.memory.MemoryTunDevice" : TunDevice.class.getName();
            String filter = "(&(tun.name=" + name + ")" + (kernel ? "(tun.side=kernel)" : "(!(tun.side=kernel))") + ")";
            ServiceReference<?>[] refs = context.getServiceReferences(type, filter);
            return refs == null ? null : (TunDevice) context.getService(refs[0]);
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes an IPv4 packet on one kernel side and returns the text read on the other within 5 s. */
    static String exchange(TunDevice from, TunDevice to, String src, String dst, String text) throws Exception {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[20 + body.length];
        p[0] = 0x45;
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(java.net.InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(java.net.InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        System.arraycopy(body, 0, p, 20, body.length);
        from.write(p, 0, p.length);
        byte[] buf = new byte[2048];
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            int n = to.read(buf, 0, buf.length, 100);
            if (n > 20) {
                return new String(buf, 20, n - 20, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Runs a command until its output contains {@code expected} (configuration applies asynchronously). */
    String await(String command, String expected) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                String out = Gogo.run(processor, command);
                if (out.contains(expected)) {
                    return out;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(command + " did not answer '" + expected + "' within 15 s", last);
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!condition.getAsBoolean()) {
            assertNotNull("timed out waiting until " + what, System.currentTimeMillis() < deadline ? "" : null);
            Thread.sleep(100);
        }
    }
}

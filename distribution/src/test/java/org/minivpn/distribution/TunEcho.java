package org.minivpn.distribution;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.minivpn.api.tun.TunDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * A relay-like consumer for {@link TunSwapIT}: one thread reads packets from whichever TUN device is
 * bound and writes each back to it. Its device is picked by the {@code device.target} filter of
 * configuration {@code org.minivpn.test.echo}; the reference is dynamic and greedy and the component
 * has a modified method, so a new filter rebinds it without deactivating it. Packed into its own
 * bundle by the test (bnd turns the annotations into DS XML).
 */
@Component(configurationPid = "org.minivpn.test.echo", configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
public final class TunEcho {

    @Reference(name = "device", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile TunDevice device;

    private volatile boolean running = true;
    private final Thread thread = new Thread(this::echo, "test-echo");

    @Activate
    public TunEcho() {
        thread.setDaemon(true);
        thread.start();
    }

    @Modified
    void modified() {
        // nothing to redo: SCR rebinds the dynamic reference when device.target changes
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        running = false;
        thread.join(2000);
    }

    private void echo() {
        byte[] buf = new byte[65535];
        while (running) {
            TunDevice d = device;
            try {
                if (d == null) {
                    Thread.sleep(10);
                    continue;
                }
                int n = d.read(buf, 0, buf.length, 100);
                if (n > 0) {
                    d.write(buf, 0, n);
                }
            } catch (ClosedChannelException e) {
                // that device went away; the next loop takes whatever is bound now
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }
}

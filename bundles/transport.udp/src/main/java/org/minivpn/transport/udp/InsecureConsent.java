package org.minivpn.transport.udp;

import java.lang.System.Logger.Level;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

/**
 * The user's answer to "really send packets in the clear?": a marker service registered from the
 * udp configuration, carrying its {@code insecure} property. {@link UdpTransport} requires one
 * with {@code insecure=true}, so without that answer no plaintext transport is ever registered.
 */
@Component(service = InsecureConsent.class, configurationPid = UdpTransport.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
public final class InsecureConsent {

    @Activate
    public InsecureConsent(UdpConfig config) {
        if (!config.insecure()) {
            UdpTransport.LOG.log(Level.WARNING, UdpTransport.REFUSAL);
        }
    }
}

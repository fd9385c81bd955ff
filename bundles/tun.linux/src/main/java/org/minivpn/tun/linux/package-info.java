/**
 * Kernel TUN devices: {@link org.minivpn.tun.linux.LinuxTunComponent} turns each factory
 * configuration {@code org.minivpn.tun.linux} into a {@code /dev/net/tun} interface, configured
 * over rtnetlink and registered as a {@link org.minivpn.api.tun.TunDevice} service. Private: other
 * bundles see only the service.
 */
package org.minivpn.tun.linux;

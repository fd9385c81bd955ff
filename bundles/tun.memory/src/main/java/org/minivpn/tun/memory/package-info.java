/**
 * In-memory TUN devices: {@link org.minivpn.tun.memory.MemoryTunDevice#pair} gives a device and the
 * "kernel side" a test plays. Usable without OSGi, as a test-scoped dependency of other bundles;
 * inside the framework, the bundle's component registers such devices from configuration, and this
 * package lets a Pax Exam test reach their kernel sides.
 */
@Export
@Version("1.0.0")
package org.minivpn.tun.memory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

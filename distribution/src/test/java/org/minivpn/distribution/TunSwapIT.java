package org.minivpn.distribution;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.streamBundle;

import javax.inject.Inject;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.minivpn.api.tun.TunDevice;
import org.minivpn.tun.memory.MemoryTunDevice;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.tinybundles.TinyBundles;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.SatisfiedReferenceDTO;

/**
 * Swapping the TUN device under a live consumer: {@link TunEcho} (a relay-like component) echoes
 * packets on the memory device its {@code device.target} names; changing that configuration moves
 * it to another device service while the framework, the bundles and the component keep running.
 * The framework runs in the root network namespace, so only memory devices are used here.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TunSwapIT {

    private static final String MEMORY_PID = "org.minivpn.tun.memory";
    private static final String ECHO_PID = "org.minivpn.test.echo";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ApplianceOptions.appliance("tunswap"), streamBundle(TinyBundles.bundle()
                .addClass(TunEcho.class)
                .setHeader(Constants.BUNDLE_SYMBOLICNAME, "org.minivpn.test.echo")
                .setHeader(Constants.BUNDLE_VERSION, "1.0.0")
                .build(TinyBundles.bndBuilder())));
    }

    @After
    public void deleteConfigurations() throws Exception {
        org.osgi.service.cm.Configuration[] all = configAdmin.listConfigurations(
                "(|(service.factoryPid=" + MEMORY_PID + ")(service.pid=" + ECHO_PID + "))");
        for (org.osgi.service.cm.Configuration c : all == null ? new org.osgi.service.cm.Configuration[0] : all) {
            c.delete();
        }
    }

    @Test
    public void aConfigurationChangeMovesTheConsumerToAnotherDevice() throws Exception {
        memoryDevice("a", "mvtuna");
        memoryDevice("b", "mvtunb");
        MemoryTunDevice kernelA = kernelSide("mvtuna");
        MemoryTunDevice kernelB = kernelSide("mvtunb");
        Bundle echoBundle = bundle("org.minivpn.test.echo");
        long framework = context.getBundle(0).getLastModified();

        org.osgi.service.cm.Configuration echo = configAdmin.getConfiguration(ECHO_PID, "?");
        echo.update(props("device.target", "(tun.name=mvtuna)"));
        assertEchoes(kernelA, 1);
        assertEquals("bound to mvtuna: " + describe(echoConfigurations()), "mvtuna", boundDeviceName());

        echo.update(props("device.target", "(tun.name=mvtunb)"));
        waitUntil(() -> "mvtunb".equals(boundDeviceName()), "the consumer rebinds to mvtunb");
        assertEchoes(kernelB, 2);
        byte[] p = packet(3);
        kernelA.write(p, 0, p.length);
        assertEquals("mvtuna is no longer echoed", -1, kernelA.read(new byte[2000], 0, 2000, 500));

        assertEquals(Bundle.ACTIVE, context.getBundle(0).getState());
        assertEquals("the framework was not restarted", framework, context.getBundle(0).getLastModified());
        assertEquals(Bundle.ACTIVE, echoBundle.getState());
        assertEquals(1, echoConfigurations().length);
        assertEquals(ComponentConfigurationDTO.ACTIVE, echoConfigurations()[0].state);
    }

    @Test
    public void theDeviceServiceGoesAwayWhenItsKernelSideCloses() throws Exception {
        memoryDevice("c", "mvtunc");
        MemoryTunDevice kernelC = kernelSide("mvtunc");
        assertNotNull(deviceReference("mvtunc"));
        kernelC.close();
        waitUntil(() -> deviceReference("mvtunc") == null, "the TunDevice service of mvtunc is withdrawn");
    }

    @Test
    public void theLinuxBackendBindsItsNativeCallsInsideTheFramework() throws Exception {
        // No Linux device here (this framework runs in the root network namespace): strerror(3)
        // through the bundle's JNA direct mapping proves the native binding resolves in Felix.
        Class<?> libc = bundle("org.minivpn.tun.linux").loadClass("org.minivpn.tun.linux.LibC");
        java.lang.reflect.Method describe = libc.getDeclaredMethod("describe", int.class);
        describe.setAccessible(true);
        assertEquals("Operation not permitted (errno 1)", describe.invoke(null, 1));
    }

    private void memoryDevice(String instance, String name) throws Exception {
        configAdmin.getFactoryConfiguration(MEMORY_PID, instance, "?").update(props("name", name));
    }

    private MemoryTunDevice kernelSide(String name) throws Exception {
        waitUntil(() -> !context.getServiceReferences(MemoryTunDevice.class, "(tun.name=" + name + ")").isEmpty(),
                "the memory device " + name + " is registered");
        ServiceReference<MemoryTunDevice> ref = context.getServiceReferences(MemoryTunDevice.class, "(tun.name=" + name + ")")
                .iterator().next();
        assertEquals("kernel", ref.getProperty("tun.side"));
        return context.getService(ref);
    }

    private ServiceReference<TunDevice> deviceReference(String name) throws Exception {
        Collection<ServiceReference<TunDevice>> refs = context.getServiceReferences(TunDevice.class, "(tun.name=" + name + ")");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    private static void assertEchoes(MemoryTunDevice kernel, int seed) throws Exception {
        byte[] p = packet(seed);
        byte[] in = new byte[2000];
        kernel.write(p, 0, p.length);
        int n = kernel.read(in, 0, in.length, 5000);
        assertEquals("the consumer echoed the packet on " + kernel.name(), p.length, n);
        assertArrayEquals(p, Arrays.copyOf(in, n));
    }

    /** The tun.name of the device the echo component is bound to, per SCR (null if none). */
    private String boundDeviceName() {
        ComponentConfigurationDTO[] configs = echoConfigurations();
        if (configs.length != 1) {
            return null;
        }
        for (SatisfiedReferenceDTO r : configs[0].satisfiedReferences) {
            if (r.name.equals("device") && r.boundServices.length == 1) {
                return (String) r.boundServices[0].properties.get(TunDevice.NAME);
            }
        }
        return null;
    }

    private static String describe(ComponentConfigurationDTO[] configs) {
        StringBuilder s = new StringBuilder();
        for (ComponentConfigurationDTO c : configs) {
            s.append("state ").append(c.state).append(" satisfied ");
            for (SatisfiedReferenceDTO r : c.satisfiedReferences) {
                s.append(r.name).append(Arrays.stream(r.boundServices).map(b -> b.id + "=" + b.properties).toList());
            }
        }
        return s.toString();
    }

    private ComponentConfigurationDTO[] echoConfigurations() {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(bundle("org.minivpn.test.echo"))) {
            return scr.getComponentConfigurationDTOs(d).toArray(ComponentConfigurationDTO[]::new);
        }
        throw new AssertionError("the echo bundle has no component: was it built with its DS XML?");
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed");
    }

    private static Dictionary<String, Object> props(String key, Object value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    /** An IPv4-looking packet (the memory device drops anything else). */
    private static byte[] packet(int seed) {
        byte[] p = new byte[64];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (seed * 13 + i);
        }
        p[0] = 0x45;
        return p;
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check check, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!check.ok()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}

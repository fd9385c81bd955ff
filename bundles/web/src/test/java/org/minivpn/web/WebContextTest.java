package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** What the page's context tells Felix HTTP: where to listen, and nothing at all for a refused configuration. */
class WebContextTest {

    /** ConfigurationAdmin's store of the one configuration that matters here, Jetty's. */
    private final Map<String, Dictionary<String, Object>> store = new HashMap<>();

    @SuppressWarnings("unchecked")
    private Configuration configuration(String pid) {
        return (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Configuration.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> store.get(pid);
                    case "update" -> store.put(pid, (Dictionary<String, Object>) args[0]);
                    case "delete" -> store.remove(pid);
                    case "getPid" -> pid;
                    default -> null;
                });
    }

    private ConfigurationAdmin configAdmin() {
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ConfigurationAdmin.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getConfiguration" -> configuration((String) args[0]);
                    case "listConfigurations" -> store.isEmpty() ? null
                            : store.keySet().stream().map(this::configuration).toArray(Configuration[]::new);
                    default -> null;
                });
    }

    private static BundleContext context() {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(WebContextTest.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> null);
        return (BundleContext) Proxy.newProxyInstance(WebContextTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> method.getName().equals("getBundle") ? bundle : null);
    }

    @Test
    void jettyIsToldToListenOnTheConfiguredLoopbackAddressAndToStopWithThePage() throws Exception {
        WebContext web = new WebContext(context(), Configs.web("127.0.0.1", 8023, ""), configAdmin());
        Dictionary<String, Object> jetty = store.get(WebContext.JETTY_PID);
        assertEquals("127.0.0.1", jetty.get("org.apache.felix.http.host"));
        assertEquals("8023", jetty.get("org.osgi.service.http.port"));
        assertEquals("false", jetty.get("org.apache.felix.https.enable"));
        web.deactivate();
        assertNull(store.get(WebContext.JETTY_PID), "Jetty stops listening with the page");
    }

    @Test
    void anExposedBindWithoutAPasswordLeavesJettyUnconfigured() throws Exception {
        new WebContext(context(), Configs.web("127.0.0.1", 8023, ""), configAdmin());
        new WebContext(context(), Configs.web("0.0.0.0", 8023, ""), configAdmin());
        assertNull(store.get(WebContext.JETTY_PID), "a refused configuration also takes the earlier one away");
    }

    @Test
    void anExposedBindWithAPasswordIsServed() throws Exception {
        new WebContext(context(), Configs.web("0.0.0.0", 9000, "correct horse battery"), configAdmin());
        assertEquals("0.0.0.0", store.get(WebContext.JETTY_PID).get("org.apache.felix.http.host"));
        assertEquals("9000", store.get(WebContext.JETTY_PID).get("org.osgi.service.http.port"));
    }
}

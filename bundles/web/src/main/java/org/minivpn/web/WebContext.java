package org.minivpn.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.context.ServletContextHelper;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContext;

/**
 * The page's servlet context: it binds Felix HTTP (Jetty) to the configured address and port, and
 * checks every request to the page's servlets before they run ({@link Access}).
 *
 * <p>Jetty itself is told where to listen through its configuration PID {@code org.apache.felix.http},
 * which this component writes from {@code configs/org.minivpn.web.cfg} and deletes when it goes
 * (the appliance starts Jetty with {@code org.apache.felix.http.require.config=true}, so Jetty listens
 * only while this component lives). A configuration that would expose the page without a password is
 * refused: the reason goes to the log and Jetty is not told to listen (should anything else start it,
 * every request gets the reason).
 */
@Component(service = ServletContextHelper.class, configurationPid = WebContext.PID, immediate = true,
        property = "service.ranking:Integer=100")
@HttpWhiteboardContext(name = WebContext.NAME, path = "/")
@Designate(ocd = WebConfig.class)
public final class WebContext extends ServletContextHelper {

    /** The configuration PID, read from configs/org.minivpn.web.cfg. */
    static final String PID = "org.minivpn.web";

    /** The servlet context's name, which every servlet of the page selects. */
    static final String NAME = "org.minivpn.web";

    /** The filter servlets use to select this context. */
    static final String SELECT = "(osgi.http.whiteboard.context.name=" + NAME + ")";

    /** Felix HTTP's configuration PID. */
    static final String JETTY_PID = "org.apache.felix.http";

    private static final Logger LOG = System.getLogger(PID);

    private final ConfigurationAdmin configAdmin;
    private final Access access; // null: the configuration was refused
    private final String refusal;

    @Activate
    public WebContext(BundleContext context, WebConfig config, @Reference ConfigurationAdmin configAdmin) throws IOException {
        super(context.getBundle());
        this.configAdmin = configAdmin;
        Access a = null;
        String why = null;
        try {
            a = Access.of(config);
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        this.access = a;
        this.refusal = why;
        if (a == null) {
            // Refused, not failed: the component stays up so that a corrected file applies at once,
            // and Jetty is not told to listen.
            LOG.log(Level.ERROR, why);
            stopJetty();
            return;
        }
        if (a.exposed()) {
            LOG.log(Level.WARNING, "the status page listens on " + a.bind().getHostAddress() + ", which other hosts reach:"
                    + " its password crosses the network in clear text unless a TLS proxy or an ssh tunnel carries it");
        }
        startJetty(a, config.port());
    }

    @Deactivate
    void deactivate() throws IOException {
        stopJetty();
    }

    /** Writes Jetty's configuration when it differs from what Jetty has, so that Jetty restarts only for a change. */
    private void startJetty(Access a, int port) throws IOException {
        Dictionary<String, Object> wanted = new Hashtable<>();
        wanted.put("org.apache.felix.http.host", a.bind().getHostAddress());
        wanted.put("org.osgi.service.http.port", String.valueOf(port));
        wanted.put("org.apache.felix.http.enable", "true");
        wanted.put("org.apache.felix.https.enable", "false");
        wanted.put("org.apache.felix.http.jetty.sendServerHeader", "false");
        // Bounded request handling: a few threads are enough for one person and a scraper.
        wanted.put("org.apache.felix.http.jetty.threadpool.max", "24");
        wanted.put("org.apache.felix.http.timeout", "30000");
        Configuration jetty = configAdmin.getConfiguration(JETTY_PID, "?");
        Dictionary<String, Object> current = jetty.getProperties();
        if (current == null || !same(current, wanted)) {
            jetty.update(wanted);
        }
    }

    private static boolean same(Dictionary<String, Object> current, Dictionary<String, Object> wanted) {
        for (String key : java.util.Collections.list(wanted.keys())) {
            if (!wanted.get(key).equals(current.get(key))) {
                return false;
            }
        }
        return true;
    }

    private void stopJetty() throws IOException {
        Configuration[] found;
        try {
            found = configAdmin.listConfigurations("(service.pid=" + JETTY_PID + ")");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (found != null) {
            for (Configuration c : found) {
                c.delete();
            }
        }
    }

    /** Logs where the page is once Jetty listens. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setRuntime(HttpServiceRuntime runtime, Map<String, Object> properties) {
        Object endpoint = properties.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        String where = endpoint instanceof String[] list ? String.join(" ", list) : String.valueOf(endpoint);
        LOG.log(Level.INFO, "the status page is at " + where + " (Prometheus: " + where.split(" ")[0] + "metrics)");
    }

    void unsetRuntime(HttpServiceRuntime runtime) {
        // nothing kept
    }

    /** Every request of the page's servlets passes here first: refused ones get their reason as plain text. */
    @Override
    public boolean handleSecurity(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
                + " img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        Access a = access;
        Access.Refusal refused = a == null ? new Access.Refusal(503, refusal) : a.check(request.getRemoteAddr(),
                request.getHeader("Host"), request.getHeader("Origin"), request.getHeader("Authorization"));
        if (refused == null) {
            return true;
        }
        if (refused.status() == 401) {
            response.setHeader("WWW-Authenticate", "Basic realm=\"MiniVPN\", charset=\"UTF-8\"");
        }
        response.setStatus(refused.status());
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().println(refused.reason());
        return false;
    }
}

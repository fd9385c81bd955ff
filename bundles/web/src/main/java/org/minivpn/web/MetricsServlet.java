package org.minivpn.web;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Instant;
import java.util.List;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** {@code /metrics}: the Prometheus text format (version 0.0.4), written by the Prometheus Java client. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
@HttpWhiteboardContextSelect(WebContext.SELECT)
public final class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile VpnClient client;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile VpnServer server;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        VpnClient c = client;
        VpnServer s = server;
        ServerStatus st = s == null ? null : s.status();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        response.setContentType(writer.getContentType());
        writer.write(response.getOutputStream(), Metrics.snapshots(c == null ? null : c.status(), st,
                st == null || !st.running() ? List.of() : s.sessions(), memory.getHeapMemoryUsage(),
                memory.getNonHeapMemoryUsage(), Instant.now()), EscapingScheme.UNDERSCORE_ESCAPING);
    }
}

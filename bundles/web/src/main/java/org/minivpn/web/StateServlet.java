package org.minivpn.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** {@code /api/state}: the page's state as one JSON object (see {@link PageState}). */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/state")
@HttpWhiteboardContextSelect(WebContext.SELECT)
public final class StateServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient PageState state;

    @Activate
    public StateServlet(@Reference PageState state) {
        this.state = state;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("application/json");
        response.getOutputStream().write(state.json().getBytes(StandardCharsets.UTF_8));
    }
}

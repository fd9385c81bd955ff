package org.minivpn.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** The page itself: three small files inside this bundle, no script or style from anywhere else. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/", "/app.js", "/style.css"})
@HttpWhiteboardContextSelect(WebContext.SELECT)
public final class PageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"/web/index.html", "text/html;charset=utf-8"},
            "/index.html", new String[] {"/web/index.html", "text/html;charset=utf-8"},
            "/app.js", new String[] {"/web/app.js", "text/javascript;charset=utf-8"},
            "/style.css", new String[] {"/web/style.css", "text/css;charset=utf-8"});

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        String[] file = FILES.get(path.isEmpty() ? "/" : path);
        if (file == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND, "no such page: the status page is at /");
            return;
        }
        response.setContentType(file[1]);
        try (InputStream in = PageServlet.class.getResourceAsStream(file[0])) {
            if (in == null) {
                throw new IOException(file[0] + " is missing from the bundle");
            }
            in.transferTo(response.getOutputStream());
        }
    }
}

package org.minivpn.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.minivpn.api.relay.VpnClient;
import org.minivpn.api.relay.VpnServer;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The page's only actions: {@code POST /api/kick} (the server ends a client's sessions, as
 * {@code vpn:kick}) and {@code POST /api/disconnect} (the client ends its tunnel, as
 * {@code vpn:disconnect}). Each must carry the CSRF token in the {@value #TOKEN_HEADER} header: the
 * synchronizer token pattern of the OWASP CSRF cheat sheet. The page reads the token from
 * {@code GET /api/token}, which another site's script cannot (the same-origin policy, and no CORS).
 * A header, not a form field, because a plain HTML form from another site cannot set one.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/token", "/api/kick", "/api/disconnect"})
@HttpWhiteboardContextSelect(WebContext.SELECT)
public final class ActionServlet extends HttpServlet {

    static final String TOKEN_HEADER = "X-MiniVPN-CSRF";
    private static final long serialVersionUID = 1L;

    /** An answer to send: the HTTP status and its plain text or JSON body. */
    record Answer(int status, String body) {
    }

    private final String token = newToken();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile VpnClient client;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile VpnServer server;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Answer a = act(request.getServletPath(), request.getMethod(), request.getHeader(TOKEN_HEADER),
                request.getParameter("who"), token, server, client);
        response.setStatus(a.status());
        response.setContentType(a.body().startsWith("{") ? "application/json" : "text/plain;charset=utf-8");
        response.getOutputStream().write(a.body().getBytes(StandardCharsets.UTF_8));
    }

    /** What a request to {@code path} gets; the servlet's whole behaviour, apart from HTTP. */
    static Answer act(String path, String method, String givenToken, String who, String token, VpnServer server,
            VpnClient client) {
        if (path.equals("/api/token")) {
            return method.equals("GET") ? new Answer(200, new Json().begin().field("token", token).end().toString())
                    : new Answer(405, "use GET");
        }
        if (!method.equals("POST")) {
            return new Answer(405, "refused: actions are POST requests, with the page's token in " + TOKEN_HEADER);
        }
        if (givenToken == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII),
                givenToken.getBytes(StandardCharsets.US_ASCII))) {
            return new Answer(403, "refused: the request carries no valid token in " + TOKEN_HEADER
                    + " (the page sends it: reload the page)");
        }
        if (path.equals("/api/kick")) {
            if (server == null || !server.isRunning()) {
                return new Answer(409, "the server is not running");
            }
            if (who == null || who.isBlank()) {
                return new Answer(400, "say whom to kick: who=<identity or tunnel address>");
            }
            int n = server.kick(who.strip());
            return n == 0 ? new Answer(404, "no session of '" + who.strip() + "'")
                    : new Answer(200, "ended " + n + " session(s) of " + who.strip());
        }
        if (path.equals("/api/disconnect")) {
            if (client == null) {
                return new Answer(409, "no VPN client is installed in this appliance");
            }
            client.disconnect();
            return new Answer(200, "disconnected; routes restored");
        }
        return new Answer(404, "no such action");
    }

    private static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

package org.minivpn.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minivpn.api.relay.ServerStatus;
import org.minivpn.api.relay.SessionInfo;
import org.minivpn.api.relay.VpnServer;

/** The page's actions need POST and the page's token; nothing else kicks anybody. */
class ActionServletTest {

    private static final String TOKEN = "the-page-token";

    /** A server that records whom it was asked to kick. */
    private static final class Recording implements VpnServer {
        final List<String> kicked = new ArrayList<>();

        @Override
        public void start(int port) {
        }

        @Override
        public void stop() {
        }

        @Override
        public boolean isRunning() {
            return true;
        }

        @Override
        public String endpoint() {
            return "0.0.0.0:23232";
        }

        @Override
        public List<String> routes() {
            return List.of();
        }

        @Override
        public long relayFailures() {
            return 0;
        }

        @Override
        public ServerStatus status() {
            return ServerStatus.STOPPED;
        }

        @Override
        public List<SessionInfo> sessions() {
            return List.of();
        }

        @Override
        public int kick(String who) {
            kicked.add(who);
            return who.equals("alice") ? 1 : 0;
        }
    }

    @Test
    void aKickWithoutTheTokenIsRefusedAndKicksNobody() {
        Recording server = new Recording();
        ActionServlet.Answer none = ActionServlet.act("/api/kick", "POST", null, "alice", TOKEN, server, null);
        assertEquals(403, none.status());
        assertTrue(none.body().contains("no valid token in X-MiniVPN-CSRF"), none.body());
        assertEquals(403, ActionServlet.act("/api/kick", "POST", "guessed", "alice", TOKEN, server, null).status());
        assertEquals(403, ActionServlet.act("/api/disconnect", "POST", "", null, TOKEN, server, null).status());
        assertEquals(List.of(), server.kicked);
    }

    @Test
    void aKickByGetIsRefusedEvenWithTheToken() {
        Recording server = new Recording();
        assertEquals(405, ActionServlet.act("/api/kick", "GET", TOKEN, "alice", TOKEN, server, null).status());
        assertEquals(List.of(), server.kicked);
    }

    @Test
    void aKickWithTheTokenEndsTheSessions() {
        Recording server = new Recording();
        ActionServlet.Answer ok = ActionServlet.act("/api/kick", "POST", TOKEN, " alice ", TOKEN, server, null);
        assertEquals(200, ok.status());
        assertEquals("ended 1 session(s) of alice", ok.body());
        assertEquals(404, ActionServlet.act("/api/kick", "POST", TOKEN, "bob", TOKEN, server, null).status());
        assertEquals(400, ActionServlet.act("/api/kick", "POST", TOKEN, "", TOKEN, server, null).status());
        assertEquals(List.of("alice", "bob"), server.kicked);
    }

    @Test
    void theTokenIsHandedOutByGetOnly() {
        ActionServlet.Answer t = ActionServlet.act("/api/token", "GET", null, null, TOKEN, null, null);
        assertEquals(200, t.status());
        assertEquals("{\"token\":\"the-page-token\"}", t.body());
        assertEquals(405, ActionServlet.act("/api/token", "POST", null, null, TOKEN, null, null).status());
    }
}

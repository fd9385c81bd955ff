/**
 * The status page and {@code /metrics}: servlets on the OSGi HTTP Whiteboard (Felix HTTP on Jetty 12),
 * every one of them in the {@link org.minivpn.web.WebContext} servlet context, which binds Jetty to
 * the configured address and checks every request.
 *
 * <pre>
 *  browser / Prometheus ──HTTP──► Jetty (org.apache.felix.http, bound by WebContext)
 *                                   │ WebContext.handleSecurity: Host, remote address, password, headers
 *                                   ├── /            PageServlet     index.html, app.js, style.css
 *                                   ├── /api/state   StateServlet    one JSON snapshot
 *                                   ├── /api/events  EventsServlet   server-sent events, one a second
 *                                   ├── /api/kick, /api/disconnect   ActionServlet (POST, CSRF token)
 *                                   └── /metrics     MetricsServlet  Prometheus text format
 *  [web-throughput] Throughput: once a second, the rates from VpnServer.sessions() and VpnClient.status()
 * </pre>
 *
 * <p>Every figure comes from the relay's services ({@link org.minivpn.api.relay.VpnClient#status()},
 * {@link org.minivpn.api.relay.VpnServer#status()}, {@link org.minivpn.api.relay.VpnServer#sessions()}),
 * the same snapshots {@code vpn:status} and {@code vpn:sessions} print: the page computes nothing of
 * its own but the rates between two snapshots. Nothing here is exported.
 */
package org.minivpn.web;

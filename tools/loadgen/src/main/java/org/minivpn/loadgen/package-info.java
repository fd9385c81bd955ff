/**
 * A load generator for one MiniVPN server: many authenticated DTLS 1.2 sessions from one process,
 * each with its own UDP socket, opened with a bounded number of handshakes in flight by Bouncy
 * Castle's {@code DTLSClientProtocol}, each asking for its tunnel configuration and then kept alive
 * by a few selector threads. It measures handshakes per second and handshake latency; the server's
 * memory per session is measured from outside (scripts/load).
 *
 * <pre>
 *   Main ─ Options, Identity (PEM files) ─→ LoadRun
 *   LoadRun ─ N tasks on C opener threads ─→ Opener.open: DatagramChannel, DTLS handshake, HELLO → CONFIG
 *           ─ each opened VpnSession ─────→ Keepers: K selectors; PING → PONG
 *           ─ at the end (duration or SIGTERM) → close every session (close_notify), report
 * </pre>
 */
package org.minivpn.loadgen;

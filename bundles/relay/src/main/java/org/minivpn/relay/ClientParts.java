package org.minivpn.relay;

/**
 * The parts of one client that its helpers share ({@link SessionSwitch}, {@link ClientUplink}):
 * made once by {@link ClientEngine}, which hands the same ones to each, so that every sender holds
 * the one {@code sendLock} and every counter and timer is the engine's own.
 *
 * @param sendLock held around every send on a session, by every sender
 */
record ClientParts(ClientTunnel tunnel, Dialer dialer, HelloExchange hello, Keepalive keepalive, ClientControl control,
        Rekey rekey, Reconnector reconnector, Counters counters, Object sendLock) {
}

/**
 * The relay engine: the VPN itself. It moves every IP packet between a TUN device and transport
 * sessions, one packet per record, and speaks a few control messages beside them (see {@link
 * org.minivpn.relay.Wire}).
 *
 * <pre>
 * client                                              server
 *
 *  TUN ──read──► [relay-tun0-tx] ──send──►  session ════ UDP ════► transport rx thread
 *  (200 ms poll)   keepalive pings                                   │ anti-spoofing: source must be
 *                  dead-peer check                                   │ the client's own address
 *                                                                    ▼
 *                                                        TUN ◄──write── (one lock for all sessions)
 *
 *  TUN ◄──write── transport rx thread ◄════ UDP ════ session ◄──send── [relay-tun0-tx] ◄──read── TUN
 *                  PING → PONG, CONFIG                              │ destination → peer:
 *                                                                    │ AddressPool slot lookup,
 *                                                                    │ no allocation, no lock
 *
 *  [relay-tun0-reconnect]: waits for a lost session, then re-handshakes with exponential backoff
 *  (1 s, 2 s, 2 s, ... ±20 %) while the TUN and routes stay (packets meanwhile are dropped, never
 *  sent elsewhere), asking the server for the address it held. The tx thread finds the session lost
 *  when data went out and neither it nor 5 probes were answered within 3.5 s (Keepalive). The same
 *  thread moves the tunnel to a new session, make-before-break, when asked (a rekey, another
 *  transport, another crypto backend: SessionSwitch#move); the server hands the new session the old
 *  one's address at once, and the old one stays open for 1 s for what is in flight on it.
 *  A client whose tunnel has no IPv6 address drops IPv6 read from the TUN and answers it with an
 *  ICMPv6 error written back to the TUN ({@link org.minivpn.relay.Ipv6Block}).
 * </pre>
 *
 * <p>Admission on the server ({@link org.minivpn.relay.Admission}): one session per identity
 * unless configured otherwise, a new one replacing the old; addresses from the {@link
 * org.minivpn.relay.AddressPool}, where an identity gets its last address back and an address freed
 * by one identity waits out a quarantine before another may have it; who held which address is
 * kept across restarts ({@link org.minivpn.relay.Leases}). A server listens on one or several
 * transports at once ({@link org.minivpn.relay.Listeners}), all feeding the same admission.
 *
 * <p>Plain peers: a peer that never says HELLO (the original C MiniVPN's client, or ours with
 * {@code plain = true}) is sent IP packets only, never a control message; the server takes its
 * address from its first IPv4 packet when that is a free address of the pool ({@link
 * org.minivpn.relay.Admission#assignPlain}), and its liveness from its data alone. A client that
 * says HELLO and hears no control message in return treats its server the same way.
 *
 * <p>The relay's own thread survives a RuntimeException with one packet or tick: it is counted,
 * logged (rate-limited) and relaying goes on ({@link org.minivpn.relay.TunLoop}).
 *
 * <p>Threads: one relay thread per direction. TUN to network is the relay's own thread, which also
 * sends keepalives and finds dead peers, so that per-packet work never waits on a timer. Network to
 * TUN runs on the transport's receive thread. Sends to one session from both (data, PONG replies)
 * are serialised by that session's monitor; it is uncontended in steady state. Per packet nothing is
 * allocated, boxed or logged: buffers are allocated once per thread, counters are plain {@code long}
 * fields owned by one thread each and read as snapshots.
 *
 * <p>Batching: data goes to a session with {@code Session.sendMore}, and the relay thread calls
 * {@code Session.flush} when the TUN has no packet waiting, so a transport may send a run of records
 * in one system call (DTLS does, with UDP segmentation offload). The other way, the transport calls
 * {@code SessionHandler.drained} when no datagram is waiting, and the relay calls
 * {@code TunDevice.flush}, so a device may write a run of TCP segments as one (the Linux one does).
 * Control messages go out with {@code Session.send}, at once and after any data held before them.
 */
package org.minivpn.relay;

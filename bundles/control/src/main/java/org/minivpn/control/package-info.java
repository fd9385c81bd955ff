/**
 * The appliance's local control socket, and its client.
 *
 * <p>Protocol, on a Unix domain stream socket, one command per connection. The client sends a
 * 4-byte big-endian length and that many bytes of UTF-8: one Gogo command line. The server answers
 * with frames of a type byte, a 4-byte length and a payload: {@code 1} standard output, {@code 2}
 * standard error, and last {@code 0} with a 4-byte exit status (0 success, 1 the command failed,
 * 2 the request was refused, 5 the appliance is still starting). The connection then closes. An
 * empty command runs nothing: it asks whether the appliance is ready (0) or starting (5).
 *
 * <p>This package is private: the client runs outside the framework, from the same jar.
 */
package org.minivpn.control;

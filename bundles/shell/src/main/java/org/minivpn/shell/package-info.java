/**
 * Gogo commands in the {@code vpn} scope: thin over the api, they parse, call and format.
 */
package org.minivpn.shell;

/** The Bouncy Castle crypto backend. Private: consumers see only {@link org.minivpn.api.crypto.CryptoBackend}. */
package org.minivpn.crypto.bc;

package org.minivpn.transport.dtls;

import java.io.IOException;
import java.util.Arrays;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsFatalAlert;
import org.minivpn.tls.trust.PeerInfo;
import org.minivpn.transport.dtls.CipherSuites.Aead;

/**
 * What a finished handshake hands to the {@link RecordLayer}: the negotiated suite, the traffic
 * keys of both directions, the connection IDs and the verified peer.
 *
 * @param writeCid the connection ID our records carry (the peer's choice); empty for none
 * @param readCid the connection ID the peer's records carry (our choice); empty for none
 */
record SessionKeys(int suite, Aead aead, byte[] writeKey, byte[] writeIv, byte[] readKey, byte[] readIv,
        byte[] writeCid, byte[] readCid, PeerInfo peer) {

    /**
     * Derives the key block (RFC 5246 6.3) from the handshake's master secret. Call from
     * {@code notifyHandshakeComplete}: Bouncy Castle destroys the master secret right after.
     */
    static SessionKeys derive(TlsContext context, boolean server, PeerInfo peer) throws IOException {
        SecurityParameters sp = context.getSecurityParametersConnection();
        if (!ProtocolVersion.DTLSv12.equals(sp.getNegotiatedVersion())) {
            throw new TlsFatalAlert(AlertDescription.protocol_version, "only DTLS 1.2 is spoken");
        }
        Aead aead = CipherSuites.aead(sp.getCipherSuite());
        if (aead == null || peer == null) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "unexpected suite or unverified peer");
        }
        int k = aead.keyLength;
        int iv = aead.fixedIvLength;
        byte[] seed = concat(sp.getServerRandom(), sp.getClientRandom());
        byte[] block = sp.getMasterSecret().deriveUsingPRF(sp.getPRFAlgorithm(), ExporterLabel.key_expansion, seed,
                2 * k + 2 * iv).extract();
        byte[] clientKey = Arrays.copyOfRange(block, 0, k);
        byte[] serverKey = Arrays.copyOfRange(block, k, 2 * k);
        byte[] clientIv = Arrays.copyOfRange(block, 2 * k, 2 * k + iv);
        byte[] serverIv = Arrays.copyOfRange(block, 2 * k + iv, 2 * k + 2 * iv);
        Arrays.fill(block, (byte) 0);
        byte[] writeCid = orEmpty(sp.getConnectionIDLocal());
        byte[] readCid = orEmpty(sp.getConnectionIDPeer());
        return server
                ? new SessionKeys(sp.getCipherSuite(), aead, serverKey, serverIv, clientKey, clientIv, writeCid, readCid, peer)
                : new SessionKeys(sp.getCipherSuite(), aead, clientKey, clientIv, serverKey, serverIv, writeCid, readCid, peer);
    }

    String suiteName() {
        return CipherSuites.name(suite);
    }

    private static byte[] orEmpty(byte[] cid) {
        return cid == null ? new byte[0] : cid.clone();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

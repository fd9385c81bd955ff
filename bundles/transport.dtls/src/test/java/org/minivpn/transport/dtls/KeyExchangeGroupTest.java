package org.minivpn.transport.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Vector;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.ProviderJcaJceHelper;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import java.io.IOException;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.minivpn.tls.trust.Signers;
import org.bouncycastle.tls.NamedGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.minivpn.api.transport.TransportServer;
import org.minivpn.tls.trust.Credentials;
import org.minivpn.tls.trust.CryptoState;

/** The server picks the cheapest key exchange group the client offers, wherever the client lists it. */
class KeyExchangeGroupTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} backend, client offers {1}")
    @CsvSource({
        "jca, 'secp256r1 x25519', x25519",
        "bc, 'secp384r1 secp256r1 x25519', x25519",
        "jca, 'secp256r1 secp384r1', secp256r1",
        "jca, 'secp384r1', secp384r1",
    })
    void x25519WhenOfferedElseTheClientsChoice(String backend, String offered, String expected) throws Exception {
        TestPki pki = new TestPki(dir, "Test CA");
        pki.issue("server", TestPki.Usage.SERVER, false);
        pki.issue("alice", TestPki.Usage.CLIENT, false);
        DtlsTransport serverSide = Backends.transport(pki.settings("server"), Backends.byName(backend));
        try (TransportServer server = serverSide.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Inbox.echoing()); DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.connect(server.localAddress());
            Vector<Integer> groups = new Vector<>();
            for (String name : offered.split(" ")) {
                groups.add(group(name));
            }
            CryptoState ours = CryptoState.of(Backends.byName(backend));
            Recording crypto = new Recording(ours.backend().provider());
            Offering client = new Offering(new CryptoState(ours.backend(), crypto, ours.rsaPss()),
                    Credentials.load(pki.settings("alice").trust()), groups);
            new DTLSClientProtocol().connect(client, new BcDatagramSocket(socket)).close();
            assertEquals(List.of(group(expected)), crypto.domains, "the group of the server's key exchange");
        } finally {
            serverSide.deactivate();
        }
    }

    private static int group(String name) {
        return switch (name) {
            case "x25519" -> NamedGroup.x25519;
            case "secp256r1" -> NamedGroup.secp256r1;
            case "secp384r1" -> NamedGroup.secp384r1;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The client's crypto, noting the group of every key exchange it is asked to compute in. */
    private static final class Recording extends JcaTlsCrypto {
        final List<Integer> domains = new CopyOnWriteArrayList<>();

        Recording(Provider provider) {
            super(provider == null ? new DefaultJcaJceHelper() : new ProviderJcaJceHelper(provider), new SecureRandom(),
                    new SecureRandom());
        }

        @Override
        public TlsECDomain createECDomain(TlsECConfig config) {
            domains.add(config.getNamedGroup());
            return super.createECDomain(config);
        }
    }

    /** A client like ours, offering {@code groups} in that order; it trusts the server blindly (not the point here). */
    private static final class Offering extends AbstractTlsClient {
        private final CryptoState crypto;
        private final Credentials credentials;
        private final Vector<Integer> groups;

        Offering(CryptoState crypto, Credentials credentials, Vector<Integer> groups) {
            super(crypto.tls());
            this.crypto = crypto;
            this.credentials = credentials;
            this.groups = groups;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return TlsUtils.getSupportedCipherSuites(crypto.tls(), CipherSuites.ALL);
        }

        @Override
        @SuppressWarnings("rawtypes")
        protected Vector getSupportedGroups(Vector namedGroupRoles) {
            return groups;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate certificate) {
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    return Signers.create(context, crypto, credentials, request.getSupportedSignatureAlgorithms());
                }
            };
        }
    }
}

package org.minivpn.transport.dtls;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR execution-sample recording of a {@link DtlsServer}'s threads during {@link HandshakeBenchmark},
 * printed as the share of samples under each part of a handshake (inclusive: a sample under PKIX
 * validation is also under the client certificate check) and the hottest methods (self). Samples
 * of the benchmark's client threads are left out.
 */
final class HandshakeProfile {

    /** Parts of a server handshake, each by the frames that mark it; a sample counts for every part it is under. */
    private static final Map<String, List<String>> PARTS = new LinkedHashMap<>();

    static {
        PARTS.put("BC DTLS server protocol (the whole handshake thread)", List.of("org.bouncycastle.tls.DTLSServerProtocol.accept"));
        PARTS.put("client certificate check (PeerCheck.verify + parsing)", List.of("org.minivpn.tls.trust.PeerCheck.verify",
                "org.minivpn.tls.trust.PeerCheck.certificates"));
        PARTS.put("  certificate parsing (CertificateFactory)", List.of("org.minivpn.tls.trust.PeerCheck.certificates",
                "java.security.cert.CertificateFactory.generateCertPath"));
        PARTS.put("  PKIX CertPathValidator", List.of("java.security.cert.CertPathValidator.validate"));
        PARTS.put("  CRL lookup", List.of("java.security.cert.X509CRL.getRevokedCertificate",
                "sun.security.x509.X509CRLImpl.getRevokedCertificate"));
        PARTS.put("  cached chain check (ValidatedChains)", List.of("org.minivpn.tls.trust.ValidatedChains"));
        PARTS.put("ECDSA sign (ServerKeyExchange)", List.of("java.security.Signature.sign",
                "org.bouncycastle.crypto.signers.ECDSASigner.generateSignature"));
        PARTS.put("ECDSA verify (CertificateVerify, certificate signature)", List.of("java.security.Signature.verify",
                "org.bouncycastle.crypto.signers.ECDSASigner.verifySignature"));
        PARTS.put("ECDHE key generation", List.of("java.security.KeyPairGenerator.generateKeyPair",
                "org.bouncycastle.tls.crypto.TlsAgreement.generateEphemeral",
                "org.bouncycastle.tls.crypto.impl.jcajce.JceX25519.generateEphemeral",
                "org.bouncycastle.tls.crypto.impl.jcajce.JceTlsECDH.generateEphemeral"));
        PARTS.put("ECDHE agreement", List.of("javax.crypto.KeyAgreement.generateSecret",
                "org.bouncycastle.tls.crypto.impl.jcajce.JceX25519.calculateSecret",
                "org.bouncycastle.tls.crypto.impl.jcajce.JceTlsECDH.calculateSecret"));
        PARTS.put("our signer (Signers.create)", List.of("org.minivpn.tls.trust.Signers.create"));
        PARTS.put("PRF, hashes, Finished (TlsUtils/PRF)", List.of("org.bouncycastle.tls.TlsUtils.PRF",
                "org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto.createHash", "org.bouncycastle.tls.DeferredHash"));
        PARTS.put("cookie (DTLSVerifier HMAC)", List.of("org.bouncycastle.tls.DTLSVerifier"));
        PARTS.put("receive thread (all)", List.of("org.minivpn.transport.dtls.DtlsServer.run"));
        PARTS.put("  admission (HandshakeAdmission.clientHello)", List.of("org.minivpn.transport.dtls.HandshakeAdmission.clientHello"));
        PARTS.put("  session set-up (DtlsServer.established)", List.of("org.minivpn.transport.dtls.DtlsServer.established"));
        PARTS.put("logging", List.of("java.util.logging.Logger.log", "sun.util.logging.internal.LoggingProviderImpl"));
        PARTS.put("SecureRandom", List.of("java.security.SecureRandom.nextBytes"));
        PARTS.put("credentials freshness (Credentials.isStale)", List.of("org.minivpn.tls.trust.Credentials.isStale"));
    }

    private final Recording recording = new Recording();
    private final Path file;
    private final int port;

    private HandshakeProfile(Path file, int port) {
        this.file = file;
        this.port = port;
    }

    static HandshakeProfile start(Path file, int port) {
        HandshakeProfile p = new HandshakeProfile(file, port);
        p.recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10)).withStackTrace();
        p.recording.setToDisk(true);
        p.recording.start();
        return p;
    }

    void stopAndPrint() throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
        Map<String, Integer> parts = new LinkedHashMap<>();
        Map<String, Integer> self = new TreeMap<>();
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedThread thread = e.getThread("sampledThread");
            RecordedStackTrace stack = e.getStackTrace();
            if (thread == null || stack == null || !HandshakeBenchmark.isServerThread(thread.getJavaName(), port)) {
                continue;
            }
            total++;
            List<RecordedFrame> frames = stack.getFrames();
            if (!frames.isEmpty()) {
                self.merge(name(frames.get(0)), 1, Integer::sum);
            }
            for (Map.Entry<String, List<String>> part : PARTS.entrySet()) {
                if (under(frames, part.getValue())) {
                    parts.merge(part.getKey(), 1, Integer::sum);
                }
            }
        }
        System.out.printf("PROFILE %d samples of the server's threads (10 ms period), recording in %s%n", total, file);
        for (String part : PARTS.keySet()) {
            int n = parts.getOrDefault(part, 0);
            System.out.printf("PROFILE %5.1f%%  %s%n", total == 0 ? 0 : 100.0 * n / total, part);
        }
        int samples = Math.max(1, total);
        self.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(25).forEach(s ->
                System.out.printf("PROFILE self %5.1f%%  %s%n", 100.0 * s.getValue() / samples, s.getKey()));
    }

    private static boolean under(List<RecordedFrame> frames, List<String> markers) {
        for (RecordedFrame f : frames) {
            String n = name(f);
            for (String m : markers) {
                if (n.startsWith(m)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}

package org.minivpn.pki;

import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.minivpn.pki.CertificateAuthority.Issued;
import org.minivpn.pki.IssuedCertificate.Status;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@code vpn:pki}: the certificate authority at the Gogo prompt and through minivpn-ctl. One
 * function whose first argument names the subcommand; it parses, calls {@link CertificateAuthority}
 * and says what was written where and what to do next.
 */
@Component(service = PkiCommands.class, configurationPid = "org.minivpn.pki", property = {
    "osgi.command.scope=vpn",
    "osgi.command.function=pki"})
@Designate(ocd = PkiConfig.class)
public final class PkiCommands {

    /** Framework property: the installation folder. */
    static final String HOME_PROPERTY = "minivpn.home";

    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private static final String USAGE = "use one of:\n"
            + "  vpn:pki init [CA NAME] [--days N] [--force]\n"
            + "  vpn:pki server NAME [--san NAMES,ADDRESSES] [--days N] [--force]\n"
            + "  vpn:pki client NAME [--days N] [--force]\n"
            + "  vpn:pki revoke NAME\n"
            + "  vpn:pki list\n"
            + "  vpn:pki export NAME FOLDER [--server HOST] [--force]\n"
            + "  vpn:pki export NAME --profile FILE --server HOST [--transport TYPE] [--force]\n"
            + "  vpn:pki crl\n"
            + "(help vpn:pki says more)";

    /** What a configuration makes of the installation folder: where the CA is and its defaults. */
    record Settings(Path home, Path dir, int caDays, int days, int crlDays) {
        static Settings of(String home, PkiConfig config) {
            Path h = home(home);
            return new Settings(h, h.resolve(config.dir()).normalize(), config.ca_days(), config.days(), config.crl_days());
        }

        /** The installation folder from the framework property; the working folder when it is unset. */
        static Path home(String property) {
            return Path.of(property == null || property.isBlank() ? System.getProperty("user.dir") : property)
                    .toAbsolutePath().normalize();
        }
    }

    private record State(Settings settings, CertificateAuthority ca) {
    }

    private volatile State state;

    @Activate
    public PkiCommands(BundleContext context, PkiConfig config) {
        this(Settings.of(context.getProperty(HOME_PROPERTY), config));
    }

    PkiCommands(Settings settings) {
        this.state = stateOf(settings);
    }

    @Modified
    void modified(BundleContext context, PkiConfig config) {
        state = stateOf(Settings.of(context.getProperty(HOME_PROPERTY), config));
    }

    private static State stateOf(Settings s) {
        return new State(s, new CertificateAuthority(s.dir(), Clock.systemUTC(), Duration.ofDays(s.crlDays())));
    }

    @Descriptor("the built-in certificate authority: makes the CA, server and client certificates, revokes them,"
            + " and exports what a client machine needs. Subcommands:\n"
            + "  init [CA NAME]          create the CA (EC P-256; default name 'MiniVPN CA', 10 years)\n"
            + "  server NAME             a server certificate; NAME and --san become its subject alternative names\n"
            + "  client NAME             a client certificate; NAME is the identity the server sees\n"
            + "  revoke NAME             revoke NAME's certificates and rewrite the CRL; servers refuse NAME"
            + " at its next handshake and drop its live session\n"
            + "  list                    serial, name, kind, expiry and status of everything issued\n"
            + "  export NAME FOLDER      write ca.crt, NAME.crt, NAME.key and the client's configs/ files into FOLDER\n"
            + "  export NAME --profile FILE --server HOST\n"
            + "                          all of it in one file (mode 0600) for vpn:import on the client\n"
            + "  crl                     sign the CRL again with a fresh next-update date\n"
            + "Files live in the PKI folder (pki/ of the installation; configuration PID org.minivpn.pki, attribute"
            + " dir). Nothing is overwritten without --force")
    public String pki(
            @Descriptor("replace existing files (init: a new CA, whose predecessor's certificates stop validating;"
                    + " server/client: issue again although NAME has a valid certificate; export: overwrite FOLDER's files)")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("validity in days (init: default 3650; server, client: default 825, cut to the CA's end)")
            @Parameter(names = "--days", absentValue = "0") int days,
            @Descriptor("server only: more subject alternative names, comma separated host names and IP addresses,"
                    + " e.g. vpn.example.com,203.0.113.7")
            @Parameter(names = "--san", absentValue = "") String san,
            @Descriptor("export only: the server host the client connects to, host or host:port (written to"
                    + " org.minivpn.relay.client.cfg)")
            @Parameter(names = "--server", absentValue = "") String server,
            @Descriptor("export only: write one client profile FILE (e.g. alice.minivpn, mode 0600) instead of a folder:"
                    + " the client's settings and its CA, certificate, key and CRL inline, for vpn:import")
            @Parameter(names = "--profile", absentValue = "") String profile,
            @Descriptor("export --profile only: the transport type the client uses (default: the highest-ranked"
                    + " secure one)")
            @Parameter(names = "--transport", absentValue = "") String transport,
            @Descriptor("init, server, client, revoke, list, export or crl") String subcommand,
            @Descriptor("the subcommand's arguments: CA NAME for init, NAME for server, client and revoke, NAME FOLDER"
                    + " for export (NAME with --profile)") String... args) throws PkiException {
        State s = state;
        if (!transport.isEmpty() && profile.isEmpty()) {
            throw new IllegalArgumentException("--transport goes with export --profile FILE");
        }
        if (days < 0) {
            throw new IllegalArgumentException("--days must be a positive number of days, not " + days);
        }
        return switch (subcommand) {
            case "init" -> init(s, String.join(" ", args), days, force);
            case "server" -> server(s, one(subcommand, args), san, days, force);
            case "client" -> client(s, one(subcommand, args), days, force);
            case "revoke" -> revoke(s, one(subcommand, args));
            case "list" -> list(noArguments(s, subcommand, args).ca());
            case "export" -> profile.isEmpty() ? export(s, args, server, force)
                    : exportProfile(s, args, profile, server, transport, force);
            case "crl" -> crl(noArguments(s, subcommand, args));
            default -> throw new IllegalArgumentException("vpn:pki has no subcommand '" + subcommand + "': " + USAGE);
        };
    }

    private String init(State s, String name, int days, boolean force) throws PkiException {
        X509Certificate ca = s.ca().init(name, Duration.ofDays(days > 0 ? days : s.settings().caDays()), force);
        CertificateAuthority a = s.ca();
        return "created the CA '" + cn(ca) + "', valid until " + day(ca.getNotAfter().toInstant()) + "\n"
                + "  " + shown(s, a.caCertificateFile()) + "   the CA certificate: every server and client needs it"
                + " (vpn:pki export copies it)\n"
                + "  " + shown(s, a.directory().resolve(CertificateAuthority.CA_KEY)) + "   the CA key, mode 0600:"
                + " it never leaves this folder; keep an offline backup\n"
                + "  " + shown(s, a.crlFile()) + "  the revocation list, empty, valid until "
                + a.crlNextUpdate().map(PkiCommands::day).orElse("?") + "\n"
                + "next: vpn:pki server <host name> --san <addresses>, then vpn:pki client <name> for each user";
    }

    private String server(State s, String name, String san, int days, boolean force) throws PkiException {
        List<String> extra = san.isBlank() ? List.of() : Arrays.asList(san.split(","));
        Issued issued = s.ca().issueServer(name, extra, validity(s, days), force);
        String altNames = altNames(issued.certificate());
        return issuedHeader(issued) + "\n"
                + "  subject alternative names: " + (altNames.isEmpty()
                        ? "none (clients that check the host name will refuse it: add --san and issue again with --force)"
                        : altNames) + "\n"
                + files(s, issued)
                + "on this server, point the DTLS transport at them (configs/org.minivpn.transport.dtls.cfg):\n"
                + "  cert = " + shown(s, issued.certificateFile()) + "\n"
                + "  key = " + shown(s, issued.keyFile());
    }

    private String client(State s, String name, int days, boolean force) throws PkiException {
        Issued issued = s.ca().issueClient(name, validity(s, days), force);
        return issuedHeader(issued) + "; servers see it as '" + name + "'\n"
                + files(s, issued)
                + "next: vpn:pki export " + name + " <folder> --server <server host>, and copy that folder to "
                + name + "'s machine";
    }

    private static String revoke(State s, String name) throws PkiException {
        List<IssuedCertificate> revoked = s.ca().revoke(name);
        return "revoked '" + name + "' (serial " + revoked.stream().map(IssuedCertificate::serialHex)
                .collect(Collectors.joining(", ")) + ")\n"
                + "  " + shown(s, s.ca().crlFile()) + " is rewritten: a running server refuses '" + name
                + "' from its next handshake and drops its live session";
    }

    private static String list(CertificateAuthority ca) throws PkiException {
        List<IssuedCertificate> entries = ca.list();
        X509Certificate caCert = ca.caCertificate();
        Instant now = Instant.now();
        StringBuilder out = new StringBuilder("CA '" + cn(caCert) + "', valid until " + day(caCert.getNotAfter().toInstant())
                + (now.isBefore(caCert.getNotAfter().toInstant()) ? "" : " (EXPIRED: vpn:pki init --force starts a new one)")
                + "\n");
        out.append("CRL ").append(ca.crlNextUpdate().map(next -> "valid until " + day(next)
                + (now.isBefore(next) ? "" : " (OUT OF DATE: run vpn:pki crl)"))
                .orElse("missing or unreadable: run vpn:pki crl")).append('\n');
        if (entries.isEmpty()) {
            return out.append("no certificates yet: vpn:pki server <name>, vpn:pki client <name>").toString();
        }
        String format = "%-32s  %-24s  %-6s  %-10s  %s%n";
        out.append(String.format(format, "SERIAL", "NAME", "KIND", "EXPIRES", "STATUS"));
        for (IssuedCertificate c : entries) {
            Status st = c.status(now);
            out.append(String.format(format, c.serialHex(), c.name(), c.kind(), day(c.notAfter()),
                    st == Status.REVOKED ? st + " " + day(c.revokedAt()) : st.toString()));
        }
        return out.toString().stripTrailing();
    }

    private static String export(State s, String[] args, String server, boolean force) throws PkiException {
        if (args.length != 2) {
            throw new IllegalArgumentException("vpn:pki export takes a name and a folder, e.g. vpn:pki export alice"
                    + " /tmp/alice --server vpn.example.com");
        }
        Path target = s.settings().home().resolve(args[1]);
        ExportedFiles f = s.ca().export(args[0], target, server, force);
        String name = args[0];
        StringBuilder out = new StringBuilder("exported '" + name + "' (serial " + f.entry().serialHex() + ", valid until "
                + day(f.entry().notAfter()) + ") to " + f.directory() + ":\n");
        line(out, f, f.caCertificate(), "the CA certificate");
        line(out, f, f.certificate(), name + "'s certificate");
        line(out, f, f.key(), name + "'s private key, mode 0600: keep it secret");
        line(out, f, f.crl(), "the CA's revocation list");
        line(out, f, f.transportConfig(), "the DTLS transport: ca, cert, key and crl above");
        if (f.clientConfig() != null) {
            line(out, f, f.clientConfig(), "server = " + server.strip());
        }
        out.append("the CA key is not among them. On ").append(name).append("'s machine, copy the folder's contents into")
                .append(" the MiniVPN installation, keeping the layout (pki/ into its pki/, configs/ into its configs/),")
                .append(" e.g.\n  cp -rp ").append(f.directory()).append("/. /opt/minivpn/\n")
                .append("then connect with: bin/minivpn-ctl vpn:connect")
                .append(f.clientConfig() != null ? "" : " <server host>");
        return out.toString();
    }

    private static String exportProfile(State s, String[] args, String profile, String server, String transport,
            boolean force) throws PkiException {
        if (args.length != 1) {
            throw new IllegalArgumentException("vpn:pki export --profile takes one name, e.g. vpn:pki export alice"
                    + " --profile alice" + ClientProfile.SUFFIX + " --server vpn.example.com");
        }
        String name = args[0];
        Path file = s.ca().exportProfile(name, s.settings().home().resolve(profile), server, transport, force);
        return "exported the profile of '" + name + "' to " + file + " (mode 0600): server = " + server.strip()
                + (transport.isBlank() ? "" : ", transport = " + transport.strip()) + ", and the CA certificate, "
                + name + "'s certificate and private key, and the CRL inline; the CA key is not in it.\n"
                + "Copy it to " + name + "'s machine over a channel you trust (it holds the private key), then there:\n"
                + "  bin/minivpn --import " + file.getFileName() + "    (or vpn:import FILE in a running appliance)\n"
                + "  bin/minivpn-ctl vpn:connect";
    }

    private static String crl(State s) throws PkiException {
        X509CRL crl = s.ca().renewCrl();
        int revoked = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        return "the CRL " + shown(s, s.ca().crlFile()) + " is signed again: " + revoked + " revoked, valid until "
                + day(crl.getNextUpdate().toInstant());
    }

    private static Duration validity(State s, int days) {
        return Duration.ofDays(days > 0 ? days : s.settings().days());
    }

    private static String issuedHeader(Issued issued) {
        IssuedCertificate e = issued.entry();
        return "issued " + e.kind() + " certificate '" + e.name() + "' (serial " + e.serialHex() + ", valid until "
                + day(e.notAfter()) + (issued.cutToCaExpiry() ? ", the CA's own end" : "") + ")";
    }

    private static String files(State s, Issued issued) {
        return "  " + shown(s, issued.certificateFile()) + "   the certificate\n"
                + "  " + shown(s, issued.keyFile()) + "   its private key, mode 0600\n";
    }

    private static void line(StringBuilder out, ExportedFiles f, Path file, String what) {
        out.append(String.format("  %-42s %s%n", f.directory().relativize(file), what));
    }

    private static String altNames(X509Certificate cert) {
        try {
            if (cert.getSubjectAlternativeNames() == null) {
                return "";
            }
            return cert.getSubjectAlternativeNames().stream()
                    .map(n -> ((Integer) n.get(0) == 7 ? "IP:" : "DNS:") + n.get(1))
                    .collect(Collectors.joining(", "));
        } catch (CertificateParsingException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** A path under the installation folder as the user sees it there (pki/alice.crt), others whole. */
    private static String shown(State s, Path p) {
        Path home = s.settings().home();
        return p.startsWith(home) ? home.relativize(p).toString() : p.toString();
    }

    private static String cn(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName();
        return dn.startsWith("CN=") ? dn.substring(3) : dn;
    }

    private static String day(Instant t) {
        return DAY.format(t);
    }

    private static String one(String subcommand, String[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("vpn:pki " + subcommand + " takes one name, e.g. vpn:pki " + subcommand
                    + " alice" + (args.length > 1 ? " (got " + String.join(" ", args) + ")" : ""));
        }
        return args[0];
    }

    /** Checks that {@code args} is empty; returns {@code s} for the call that follows. */
    private static State noArguments(State s, String subcommand, String[] args) {
        if (args.length != 0) {
            throw new IllegalArgumentException("vpn:pki " + subcommand + " takes no arguments (got "
                    + String.join(" ", args) + ")");
        }
        return s;
    }
}

package org.minivpn.pki;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A client's whole configuration in one text file, as OpenVPN's {@code .ovpn} carries its
 * certificates inline in {@code <ca>}, {@code <cert>} and {@code <key>} blocks:
 * <pre>
 * # comments
 * server = vpn.example.com:23232       the settings of configs/org.minivpn.relay.client.cfg,
 * transport = dtls                     under the same keys (server.name, transport optional)
 * &lt;ca&gt;    PEM certificate of the CA    &lt;/ca&gt;
 * &lt;cert&gt;  PEM certificate of the client &lt;/cert&gt;
 * &lt;key&gt;   PEM PKCS#8 private key       &lt;/key&gt;
 * &lt;crl&gt;   PEM CRL of the CA (optional) &lt;/crl&gt;
 * </pre>
 * This class is the syntax only: {@link #parse} refuses a file that is cut short, has a block twice,
 * lacks one, or holds a setting it does not know or a value that could mean more in a
 * configuration file than it says; {@link ProfileCheck} then checks what the blocks hold. Plain
 * Java without Bouncy Castle, so that the launcher can import outside the framework.
 *
 * @param server the server to connect to: host, host:port, [IPv6] or [IPv6]:port
 * @param serverName the name the server's certificate must carry, or empty for the host connected to
 * @param transport the transport type, or empty for the highest-ranked secure one
 * @param ca the CA certificate, PEM
 * @param certificate the client's certificate, PEM
 * @param key the client's private key, PEM
 * @param crl the CA's revocation list, PEM, or empty when the profile carries none
 */
public record ClientProfile(String server, String serverName, String transport, String ca, String certificate,
        String key, String crl) {

    /** How profiles are named, by the convention of {@code .ovpn}. */
    public static final String SUFFIX = ".minivpn";

    static final String SERVER = "server";
    static final String SERVER_NAME = "server.name";
    static final String TRANSPORT = "transport";
    static final List<String> BLOCKS = List.of("ca", "cert", "key", "crl");

    /** Far above any real profile (a few KiB); a bound on what a mistaken path makes us read. */
    static final int MAX_BYTES = 256 * 1024;

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern SERVER_NAME_VALUE = Pattern.compile("[A-Za-z0-9*](?:[A-Za-z0-9.:-]{0,252})");
    private static final Pattern TRANSPORT_VALUE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");
    private static final String AGAIN = ": export it again on the server (vpn:pki export NAME --profile FILE"
            + " --server HOST) and copy the file whole";

    public ClientProfile {
        serverName = serverName == null ? "" : serverName;
        transport = transport == null ? "" : transport;
        crl = crl == null ? "" : crl;
    }

    /**
     * Why {@code server} is not something the client relay can dial (host, host:port, [IPv6] or
     * [IPv6]:port with a port from 1 to 65535), or null when it is.
     */
    static String serverProblem(String server) {
        String host = server;
        String port = null;
        if (server.startsWith("[")) {
            int close = server.indexOf(']');
            if (close < 0) {
                return "a [ without ]";
            }
            host = server.substring(1, close);
            String rest = server.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return "text after ]";
                }
                port = rest.substring(1);
            }
            if (!IPV6.matcher(host).matches() || !host.contains(":")) {
                return "no IPv6 address between [ and ]";
            }
        } else if (server.indexOf(':') != server.lastIndexOf(':')) {
            if (!IPV6.matcher(server).matches()) {
                return "neither an IPv6 address nor host:port";
            }
            host = null;
        } else if (server.indexOf(':') > 0) {
            host = server.substring(0, server.indexOf(':'));
            port = server.substring(server.indexOf(':') + 1);
        }
        if (host != null && !server.startsWith("[") && !HOST.matcher(host).matches()) {
            return "'" + host + "' is neither a host name nor an address";
        }
        if (port != null) {
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                return "the port '" + port + "' is not a number from 1 to 65535";
            }
        }
        return null;
    }

    /** The profile as text: {@code header} as comment lines, the settings, then the PEM blocks. */
    String format(List<String> header) {
        StringBuilder out = new StringBuilder();
        for (String h : header) {
            out.append("# ").append(h).append('\n');
        }
        out.append(SERVER).append(" = ").append(server).append('\n');
        if (!serverName.isEmpty()) {
            out.append(SERVER_NAME).append(" = ").append(serverName).append('\n');
        }
        if (!transport.isEmpty()) {
            out.append(TRANSPORT).append(" = ").append(transport).append('\n');
        }
        block(out, "ca", ca);
        block(out, "cert", certificate);
        block(out, "key", key);
        if (!crl.isEmpty()) {
            block(out, "crl", crl);
        }
        return out.toString();
    }

    private static void block(StringBuilder out, String tag, String pem) {
        out.append('<').append(tag).append(">\n").append(pem);
        if (!pem.endsWith("\n")) {
            out.append('\n');
        }
        out.append("</").append(tag).append(">\n");
    }

    /**
     * Reads a profile's text; {@code source} names it in messages. A PEM block comes back as its
     * lines, each ended by a newline, so that what {@link #format} wrote comes back byte for byte.
     *
     * @throws PkiException naming the line and what is wrong with it, and what to do
     */
    static ClientProfile parse(byte[] bytes, String source) throws PkiException {
        String text;
        try {
            text = StandardCharsets.US_ASCII.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PkiException(source + " is not a MiniVPN client profile (it is not plain ASCII text)" + AGAIN);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> blocks = new LinkedHashMap<>();
        String open = null;
        int openedAt = 0;
        StringBuilder pem = new StringBuilder();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String at = source + ", line " + (i + 1) + ": ";
            String t = line.strip();
            if (open != null) {
                if (t.equals("</" + open + ">")) {
                    blocks.put(open, pem.toString());
                    open = null;
                } else if (t.startsWith("<")) {
                    throw new PkiException(at + "the <" + open + "> block of line " + openedAt + " has no </" + open
                            + "> before " + t + AGAIN);
                } else {
                    pem.append(line).append('\n');
                }
                continue;
            }
            if (t.isEmpty() || t.startsWith("#") || t.startsWith(";")) {
                continue;
            }
            if (t.startsWith("<") && t.endsWith(">") && !t.startsWith("</")) {
                String tag = t.substring(1, t.length() - 1);
                if (!BLOCKS.contains(tag)) {
                    throw new PkiException(at + "unknown block <" + tag + ">: a profile has " + String.join(", ",
                            BLOCKS.stream().map(b -> "<" + b + ">").toList()));
                }
                if (blocks.containsKey(tag)) {
                    throw new PkiException(at + "a second <" + tag + "> block" + AGAIN);
                }
                open = tag;
                openedAt = i + 1;
                pem.setLength(0);
                continue;
            }
            int eq = t.indexOf('=');
            if (eq <= 0) {
                throw new PkiException(at + "'" + shorten(t) + "' is neither a setting (key = value) nor a block (<ca>)"
                        + AGAIN);
            }
            String k = t.substring(0, eq).strip();
            String v = t.substring(eq + 1).strip();
            if (!List.of(SERVER, SERVER_NAME, TRANSPORT).contains(k)) {
                throw new PkiException(at + "unknown setting '" + shorten(k) + "': a profile sets " + SERVER + ", "
                        + SERVER_NAME + " and " + TRANSPORT + " (as in configs/org.minivpn.relay.client.cfg)");
            }
            if (settings.put(k, v) != null) {
                throw new PkiException(at + k + " is set twice" + AGAIN);
            }
            checkValue(at, k, v);
        }
        if (open != null) {
            throw new PkiException(source + ": the <" + open + "> block of line " + openedAt + " has no </" + open
                    + ">: the file is cut short" + AGAIN);
        }
        String server = settings.getOrDefault(SERVER, "");
        if (server.isEmpty()) {
            throw new PkiException(source + " names no server to connect to: export it again on the server with"
                    + " --server HOST (vpn:pki export NAME --profile FILE --server HOST)");
        }
        for (String b : List.of("ca", "cert", "key")) {
            if (!blocks.containsKey(b)) {
                throw new PkiException(source + " has no <" + b + "> block (" + what(b) + ")" + AGAIN);
            }
        }
        return new ClientProfile(server, settings.getOrDefault(SERVER_NAME, ""), settings.getOrDefault(TRANSPORT, ""),
                blocks.get("ca"), blocks.get("cert"), blocks.get("key"), blocks.getOrDefault("crl", ""));
    }

    /**
     * Values go into a FileInstall configuration file, where ${...}, backslashes and quotes mean
     * more than they say: only the characters a host, name or type needs pass.
     */
    private static void checkValue(String at, String key, String value) throws PkiException {
        switch (key) {
            case SERVER -> {
                String why = value.isEmpty() ? null : serverProblem(value);
                if (why != null) {
                    throw new PkiException(at + "server = " + shorten(value) + " is not a server to connect to (" + why
                            + "): it must be host, host:port, [IPv6] or [IPv6]:port");
                }
            }
            case SERVER_NAME -> {
                if (!value.isEmpty() && !SERVER_NAME_VALUE.matcher(value).matches()) {
                    throw new PkiException(at + "server.name = " + shorten(value) + " is neither a DNS name nor an"
                            + " address");
                }
            }
            default -> {
                if (!value.isEmpty() && !TRANSPORT_VALUE.matcher(value).matches()) {
                    throw new PkiException(at + "transport = " + shorten(value) + " is not a transport type (such as"
                            + " dtls)");
                }
            }
        }
    }

    static String what(String block) {
        return switch (block) {
            case "ca" -> "the CA certificate";
            case "cert" -> "the client's certificate";
            case "key" -> "the client's private key";
            default -> "the CA's revocation list";
        };
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}

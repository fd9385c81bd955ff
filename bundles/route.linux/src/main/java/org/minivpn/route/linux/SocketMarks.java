package org.minivpn.route.linux;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Whether this process's UDP socket to the server carries the policy-routing mark, read from the
 * kernel with {@code ss}. Policy routing sends every unmarked packet into the tunnel: were the
 * tunnel's own socket unmarked (the transport could not set the mark, or was told another one),
 * its datagrams would loop into the TUN and the tunnel would stop. So policy routing is used only
 * when the kernel shows the mark on the socket, and a host route is kept otherwise.
 */
final class SocketMarks {

    private SocketMarks() {
    }

    /**
     * Null when a UDP socket of this process to {@code server:port} carries {@code mark}, else why
     * not (for the log line that says policy routing is not used).
     */
    static String missing(Commands commands, InetAddress server, int port, int mark) throws IOException {
        if (port <= 0) {
            return "the server's port is not known";
        }
        String host = server instanceof Inet6Address ? "[" + Addresses.text(server) + "]" : Addresses.text(server);
        Commands.Result r = commands.run(commands.argv("ss", "-u", "-a", "-n", "-e", "-p", "-H",
                "dst", host + ":" + port), null);
        if (!r.ok()) {
            return "`" + String.join(" ", r.argv()) + "` failed: " + r.reason();
        }
        return missing(r.output(), ProcessHandle.current().pid(), mark, host + ":" + port);
    }

    /** The same, from {@code ss -uanep} output. */
    static String missing(String ssOutput, long pid, int mark, String server) {
        String owner = "pid=" + pid + ",";
        String wanted = "fwmark:0x" + Integer.toHexString(mark);
        boolean ours = false;
        for (String line : ssOutput.lines().toList()) {
            if (!line.contains(owner)) {
                continue;
            }
            ours = true;
            for (String word : line.strip().split("\\s+")) {
                if (word.equals(wanted)) {
                    return null;
                }
            }
        }
        return ours ? "the tunnel's socket to " + server + " does not carry the firewall mark 0x"
                + Integer.toHexString(mark) + " (set socket.mark in org.minivpn.transport.dtls equal to fwmark in "
                + LinuxRouteConfigurator.PID + "; setting it needs CAP_NET_ADMIN)"
                : "this process has no UDP socket to " + server + " in the namespace routed";
    }
}

package org.minivpn.relay;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.minivpn.api.IpPrefix;
import org.minivpn.api.tun.TunDevice;

/** Builds and reads IP packets for tests. */
final class Packets {

    private Packets() {
    }

    /** A minimal IPv4/UDP-like packet from src to dst carrying text. */
    static byte[] ipv4(String src, String dst, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[20 + body.length];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(address(src), 0, p, 12, 4);
        System.arraycopy(address(dst), 0, p, 16, 4);
        System.arraycopy(body, 0, p, 20, body.length);
        return p;
    }

    static byte[] ipv6(String src, String dst, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[40 + body.length];
        p[0] = 0x60;
        p[4] = (byte) (body.length >>> 8);
        p[5] = (byte) body.length;
        p[6] = 17;
        p[7] = 64;
        System.arraycopy(address(src), 0, p, 8, 16);
        System.arraycopy(address(dst), 0, p, 24, 16);
        System.arraycopy(body, 0, p, 40, body.length);
        return p;
    }

    static byte[] address(String a) {
        InetAddress i = IpPrefix.parseAddress(a);
        return i.getAddress();
    }

    /** The text of the next packet read within the timeout, or null. */
    static String readText(TunDevice kernel, int timeoutMillis) throws Exception {
        byte[] buf = new byte[2048];
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            int n = kernel.read(buf, 0, buf.length, 50);
            if (n > 0) {
                int header = (buf[0] & 0xf0) == 0x60 ? 40 : 20;
                return new String(buf, header, n - header, StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}

package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.function.Function;
import org.minivpn.api.tun.TunDevice;

/**
 * The TUN device a client tunnel runs through, and the relay's thread that reads it ({@link TunLoop}).
 * The device may go away and come back as a new service (its bundle updated or restarted): the
 * session stays meanwhile, packets from the server are dropped, and {@link #attach} sets the
 * addresses and routes on the new device and reads it. The TUN takes one writer at a time: the
 * transport's receive thread writes packets, the TUN loop's ICMPv6 answers ({@link Ipv6Block}).
 */
final class ClientDevice {

    private static final Logger LOG = System.getLogger(ClientDevice.class.getName());

    private final Object writeLock = new Object();
    private final Ipv6Block ipv6Block;
    private final TunLoop.Owner uplink;
    private volatile TunDevice tun;
    private volatile TunLoop loop;

    /** @param uplink what the TUN loop hands each packet and tick to */
    ClientDevice(TunDevice tun, Function<Ipv6Block, TunLoop.Owner> uplink) {
        this.tun = tun;
        this.ipv6Block = new Ipv6Block(tun, writeLock);
        this.uplink = uplink.apply(ipv6Block);
        this.loop = new TunLoop(tun, this.uplink);
    }

    String name() {
        return tun.name();
    }

    /** What the TUN loop hands each packet read and each tick to. */
    TunLoop.Owner uplink() {
        return uplink;
    }

    Ipv6Block ipv6Block() {
        return ipv6Block;
    }

    /** Starts reading the device. */
    void start() {
        loop.start();
    }

    /** Stops reading the device (waits up to two seconds). */
    void stop() {
        loop.stop();
    }

    /** Unexpected failures of the TUN loop survived so far, across devices. */
    long failures() {
        return loop.failures();
    }

    /** Writes one packet from the server; the transport's receive thread. */
    void write(byte[] buf, int off, int len) throws IOException {
        synchronized (writeLock) {
            tun.write(buf, off, len);
        }
    }

    /** Writes out what the device held back to merge (see {@link TunDevice#flush()}); a gone device is ignored. */
    void flush() {
        try {
            synchronized (writeLock) {
                tun.flush();
            }
        } catch (IOException e) {
            // the device is gone; the TUN loop learns it from its own read
        }
    }

    /**
     * The device {@code t} went away (its bundle is being updated or restarted): the TUN loop ends;
     * the session stays. Routes through it went with it; the kill switch, when on, still holds.
     */
    void detach(TunDevice t) {
        if (tun == t) {
            LOG.log(Level.WARNING, "the TUN device " + t.name() + " went away: the session stays; relaying resumes"
                    + " when the device is back");
            loop.stop();
        }
    }

    /**
     * The device is back as {@code t} (same name, a new service): {@code tunnel} sets its addresses,
     * MTU and routes again, and the TUN loop reads it. On the caller's thread (the framework's).
     */
    void attach(TunDevice t, ClientTunnel tunnel) throws IOException {
        long start = System.nanoTime();
        loop.stop();
        synchronized (writeLock) {
            tun = t;
            ipv6Block.device(t);
        }
        tunnel.reattach(t);
        TunLoop next = new TunLoop(t, uplink);
        loop = next;
        next.start();
        LOG.log(Level.INFO, "the TUN device " + t.name() + " is back: addresses and routes set again in "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms; the session stayed");
    }
}

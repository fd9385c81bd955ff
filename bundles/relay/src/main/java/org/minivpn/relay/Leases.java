package org.minivpn.relay;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.minivpn.api.IpPrefix;

/**
 * Which identity held which IPv4 tunnel address, kept in a file across server restarts, as OpenVPN's
 * {@code ifconfig-pool-persist} does (same line format: {@code identity,address}). A server that
 * restarts reads it back ({@link AddressPool#restore}): each returning client gets its address again,
 * and for the pool's quarantine no other identity can take it, whether by asking for it in its HELLO
 * or by being first. Without the file a client with a valid certificate could ask for a departed
 * client's address right after a restart and receive the return traffic of that client's
 * connections, which the kernel's NAT still holds.
 *
 * <p>{@link #changed} only marks the file stale; a daemon thread ({@code relay-leases}) writes it at
 * most once per second, off the relay's threads, to a temporary file that then replaces the old one
 * atomically (mode 0600: who used the VPN is private). {@link #close} writes what is left.
 */
final class Leases implements AutoCloseable {

    /** One line of the file. */
    record Lease(String identity, int address4) {
    }

    private static final Logger LOG = System.getLogger(Leases.class.getName());
    private static final long WRITE_EVERY_MILLIS = 1000;

    private final Path file;
    private final AddressPool<?> pool;
    private final Object signal = new Object();
    private final Thread writer;
    private boolean dirty; // guarded by signal
    private boolean running = true; // guarded by signal

    /**
     * Restores the leases of {@code file} into {@code pool} and starts the writer. A missing file is
     * an empty one; a damaged line is skipped with a warning.
     */
    Leases(Path file, AddressPool<?> pool) {
        this.file = file;
        this.pool = pool;
        int restored = 0;
        for (Lease l : read(file)) {
            if (pool.restore(l.identity(), l.address4())) {
                restored++;
            }
        }
        if (restored > 0) {
            LOG.log(Level.INFO, restored + " address leases restored from " + file + "; each is kept for its client for "
                    + "address.quarantine.seconds");
        }
        this.writer = new Thread(this::run, "relay-leases");
        writer.setDaemon(true);
        writer.start();
    }

    /** The pool's leases changed: the file is written within a second. Never blocks. */
    void changed() {
        synchronized (signal) {
            dirty = true;
            signal.notifyAll();
        }
    }

    /** The leases in {@code file}, in its order; nothing when it does not exist. */
    static List<Lease> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the address leases in " + file + " (" + e.getMessage() + "): clients get"
                    + " addresses as if new; check the file's owner and mode");
            return List.of();
        }
        List<Lease> leases = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            int comma = l.lastIndexOf(',');
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            try {
                InetAddress a = IpPrefix.parseAddress(l.substring(comma + 1).strip());
                if (comma <= 0 || a.getAddress().length != 4) {
                    throw new IllegalArgumentException("not identity,IPv4-address");
                }
                leases.add(new Lease(l.substring(0, comma), AddressPool.toInt(a)));
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, file + ": skipping the line '" + l + "': " + e.getMessage());
            }
        }
        return leases;
    }

    /** Writes {@code leases} to {@code file}: a temporary file, mode 0600, moved over the old one. */
    static void write(Path file, List<Lease> leases) throws IOException {
        StringBuilder b = new StringBuilder("# identity,address: who held which tunnel address (restored at start)\n");
        for (Lease l : leases) {
            b.append(l.identity()).append(',').append(AddressPool.toAddress(l.address4()).getHostAddress()).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".leases", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void run() {
        while (true) {
            synchronized (signal) {
                while (running && !dirty) {
                    try {
                        signal.wait(WRITE_EVERY_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!dirty) {
                    return;
                }
                dirty = false;
            }
            save();
            try {
                Thread.sleep(WRITE_EVERY_MILLIS); // at most one write a second, however fast clients come
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void save() {
        try {
            write(file, pool.leases());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write the address leases to " + file + " (" + e.getMessage() + "): after a"
                    + " restart clients may get new addresses; check that its folder is writable");
        }
    }

    /** Stops the writer (waking it at once) and writes the leases a last time. */
    @Override
    public void close() {
        synchronized (signal) {
            running = false;
            signal.notifyAll();
        }
        writer.interrupt();
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        save();
    }
}

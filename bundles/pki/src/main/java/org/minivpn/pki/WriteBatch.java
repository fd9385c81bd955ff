package org.minivpn.pki;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files one operation writes: each is whole (see {@link SafeFiles}), and unless the operation
 * commits, those it created are removed again on close, so a failure half-way leaves the folder
 * as it was. Files it replaced (with force) stay replaced.
 */
final class WriteBatch implements AutoCloseable {

    private static final Logger LOG = System.getLogger(WriteBatch.class.getName());

    private final boolean replace;
    private final List<Path> created = new ArrayList<>();
    private boolean committed;

    /** With {@code replace}, existing files are replaced; without, finding one fails the write. */
    WriteBatch(boolean replace) {
        this.replace = replace;
    }

    void write(Path file, byte[] content, boolean secret) throws IOException {
        boolean existed = Files.exists(file);
        SafeFiles.write(file, content, secret, replace ? SafeFiles.Mode.REPLACE : SafeFiles.Mode.CREATE);
        if (!existed) {
            created.add(file);
        }
    }

    void commit() {
        committed = true;
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        for (Path p : created) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not remove " + p + " after a failed write: " + e.getMessage());
            }
        }
    }
}

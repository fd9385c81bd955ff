package org.minivpn.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes files whole or not at all: the content goes to a temporary file in the same folder, is
 * forced to disk, and is then moved over the target in one rename. A reader (the DTLS transport
 * watching the CRL) sees the old file or the new one, never a part.
 *
 * <p>The temporary file is created with mode 0600, so a private key is never readable by others,
 * not even for a moment; public files are opened up to 0644 before the rename.
 */
final class SafeFiles {

    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private SafeFiles() {
    }

    /** How a file may be written. */
    enum Mode {
        /** Refuse if the target exists, even if it appeared since the caller checked. */
        CREATE,
        /** Replace the target if it exists. */
        REPLACE
    }

    /**
     * Writes {@code content} to {@code target}, mode 0600 when {@code secret}, else 0644.
     *
     * @throws FileAlreadyExistsException with {@link Mode#CREATE} when the target exists
     */
    static void write(Path target, byte[] content, boolean secret, Mode mode) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", ownerOnly);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            if (!secret) {
                Files.setPosixFilePermissions(tmp, PUBLIC);
            }
            if (mode == Mode.REPLACE) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                createFrom(tmp, target);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Gives {@code tmp}'s content the name {@code target} unless that exists. A hard link fails
     * atomically when the name is taken (a rename would silently replace it); file systems without
     * hard links fall back to a check and a rename.
     */
    private static void createFrom(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException e) {
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Creates {@code dir} and its missing parents; a folder it creates itself is mode 0700. */
    static void ensurePrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        }
    }

    /**
     * Makes {@code dir} mode 0700 if others may enter, read or write it: the folder that holds a
     * CA key is its owner's alone. Returns whether it changed anything.
     */
    static boolean makePrivate(Path dir) throws IOException {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(dir);
        if (p.equals(OWNER_ONLY_DIR)) {
            return false;
        }
        Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
        return true;
    }

    /** Whether others than the owner may read or write {@code file}. */
    static boolean exposed(Path file) throws IOException {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
        return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE);
    }

    /** Those of {@code files} that exist. */
    static List<Path> existing(Path... files) {
        List<Path> out = new ArrayList<>();
        for (Path f : files) {
            if (Files.exists(f)) {
                out.add(f);
            }
        }
        return out;
    }

    /** The files' names, comma separated, for a message. */
    static String names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", "));
    }
}

package org.minivpn.route.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The steps that change a file rather than the kernel, written as command lines whose program
 * starts with {@code @} so that they go through the same journal as {@code ip} and {@code nft}
 * (journaled before, undone newest first, replayed after a crash), but run here, in Java:
 * <pre>
 * @save FILE COPY       copies FILE's bytes to COPY (created 0600, synced), e.g. the original resolv.conf
 * @write FILE           writes standard input over FILE, in place
 * @restore COPY FILE    writes COPY's bytes over FILE, in place, byte for byte
 * @delete COPY          deletes COPY
 * </pre>
 * In place means the file is opened, truncated and written, never replaced by a rename: a file that
 * {@code ip netns exec} bind-mounts over {@code /etc/resolv.conf} cannot be renamed over, and a
 * symbolic link stays a link. They act on the paths as this JVM sees them, whatever namespace the
 * commands run in: the caller chooses a path that is the namespace's own.
 */
final class FileSteps {

    static final String SAVE = "@save";
    static final String WRITE = "@write";
    static final String RESTORE = "@restore";
    static final String DELETE = "@delete";

    private FileSteps() {
    }

    static boolean handles(List<String> argv) {
        return !argv.isEmpty() && argv.get(0).startsWith("@");
    }

    /** Runs one step; a failure is a non-zero result whose output names the file and the reason. */
    static Commands.Result run(List<String> argv, String stdin) {
        try {
            switch (argv.get(0)) {
                case SAVE -> {
                    arity(argv, 3);
                    save(Path.of(argv.get(1)), Path.of(argv.get(2)));
                }
                case WRITE -> {
                    arity(argv, 2);
                    overwrite(Path.of(argv.get(1)), (stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8), false);
                }
                case RESTORE -> {
                    arity(argv, 3);
                    overwrite(Path.of(argv.get(2)), Files.readAllBytes(Path.of(argv.get(1))), true);
                }
                case DELETE -> {
                    arity(argv, 2);
                    Files.deleteIfExists(Path.of(argv.get(1)));
                }
                default -> throw new IOException("unknown step " + argv.get(0));
            }
            return new Commands.Result(argv, 0, "");
        } catch (NoSuchFileException e) {
            return new Commands.Result(argv, 1, e.getFile() + ": No such file or directory");
        } catch (FileAlreadyExistsException e) {
            return new Commands.Result(argv, 1, e.getFile() + ": File exists (a copy left behind; delete it after"
                    + " checking that the file it saved is as it should be)");
        } catch (IOException | RuntimeException e) {
            return new Commands.Result(argv, 1, e.getMessage());
        }
    }

    private static void arity(List<String> argv, int n) throws IOException {
        if (argv.size() != n) {
            throw new IOException(argv.get(0) + " takes " + (n - 1) + " path(s)");
        }
    }

    /** A copy that survives a power loss: its data and its name are on disk before the step returns. */
    private static void save(Path file, Path copy) throws IOException {
        byte[] original = Files.readAllBytes(file);
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
            write(ch, original);
        }
        Path dir = copy.toAbsolutePath().getParent();
        if (dir != null) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }
    }

    private static void overwrite(Path file, byte[] content, boolean create) throws IOException {
        StandardOpenOption[] options = create
                ? new StandardOpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.CREATE}
                : new StandardOpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING};
        try (FileChannel ch = FileChannel.open(file, options)) {
            write(ch, content);
        }
    }

    private static void write(FileChannel ch, byte[] content) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
            ch.write(b);
        }
        ch.force(true);
    }
}

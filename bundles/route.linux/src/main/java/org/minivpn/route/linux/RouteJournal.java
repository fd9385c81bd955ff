package org.minivpn.route.linux;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A write-ahead journal of the changes made to the host: each change's undo command is written and
 * synced before the change is applied, so that a process killed at any moment leaves a file that
 * says how to put everything back.
 *
 * <p>One line a record, command-line words URL-encoded:
 * <pre>
 * boot &lt;kernel boot id&gt;
 * do &lt;key&gt; &lt;undo word&gt; &lt;undo word&gt; ...   written before the change is applied
 * void &lt;key&gt;                                  the change failed, nothing to undo
 * undone &lt;key&gt;                                the change was undone
 * </pre>
 * The file exists only while something is outstanding: it is created by the first change and
 * deleted when the last one is undone. Not thread-safe: callers hold the configurator's lock.
 */
final class RouteJournal {

    private static final Logger LOG = System.getLogger(RouteJournal.class.getName());
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private final Path file;
    private final Map<String, List<String>> outstanding = new LinkedHashMap<>();
    private FileChannel channel; // open while something is outstanding

    RouteJournal(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Records the undo of a change about to be applied, and syncs it to disk. */
    void willApply(String key, List<String> undo) throws IOException {
        if (channel == null) {
            open();
        }
        StringBuilder line = new StringBuilder("do ").append(key);
        for (String word : undo) {
            line.append(' ').append(URLEncoder.encode(word, StandardCharsets.UTF_8));
        }
        append(line.toString());
        outstanding.put(key, List.copyOf(undo));
    }

    /** Records that a change was not applied after all. */
    void failed(String key) throws IOException {
        settle("void", key);
    }

    /** Records that a change was undone. */
    void undone(String key) throws IOException {
        settle("undone", key);
    }

    private void settle(String kind, String key) throws IOException {
        if (outstanding.remove(key) == null) {
            return;
        }
        append(kind + " " + key);
        if (outstanding.isEmpty()) {
            channel.close();
            channel = null;
            Files.deleteIfExists(file);
        }
    }

    /**
     * Closes the file and leaves it in place if something is still outstanding (an undo that
     * failed), so that the next start replays it.
     */
    void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the routing journal: " + e.getMessage());
            }
            channel = null;
            LOG.log(Level.WARNING, outstanding.size() + " routing change(s) could not be undone; they stay in "
                    + file + " and are retried at the next start");
        }
    }

    private void open() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        if (Files.exists(file)) {
            throw new IOException("the routing journal " + file + " already exists: another MiniVPN uses it,"
                    + " or it was left behind; restart the appliance so that it is replayed, or point"
                    + " journal in " + LinuxRouteConfigurator.PID + " elsewhere");
        }
        channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            append("boot " + bootId());
        } catch (IOException | UnsupportedOperationException e) {
            channel.close();
            channel = null;
            Files.deleteIfExists(file);
            throw new IOException("cannot write the routing journal " + file + ": " + e.getMessage(), e);
        }
    }

    private void append(String line) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
    }

    /**
     * Undoes, newest first, every change a journal left behind by a process that died lists as
     * outstanding, then deletes it. Does nothing at all when there is no journal. A journal from an
     * earlier boot is deleted without running anything: the kernel has forgotten those changes.
     */
    static void replay(Path file, Commands commands) {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot read the routing journal " + file + " left by a crash: " + e.getMessage()
                    + "; routes and firewall changes of the last run may remain: check `ip route` and `nft list tables`");
            return;
        }
        String boot = lines.isEmpty() ? "" : lines.get(0);
        List<List<String>> undo = outstanding(lines);
        if (!boot.equals("boot " + bootId())) {
            // The kernel forgot the routes and tables, but a file (resolv.conf) keeps what was written.
            undo = undo.stream().filter(FileSteps::handles).toList();
            LOG.log(Level.INFO, "routing journal " + file + " is from an earlier boot; its routing changes are gone"
                    + (undo.isEmpty() ? "" : ", its " + undo.size() + " file change(s) are undone") + "; deleting it");
            if (undo.isEmpty()) {
                delete(file);
                return;
            }
            undo = new ArrayList<>(undo);
        }
        LOG.log(Level.WARNING, "the last run ended without undoing its routing (crash or kill); undoing "
                + undo.size() + " change(s) recorded in " + file);
        Collections.reverse(undo);
        for (List<String> argv : undo) {
            if (!allowed(argv)) {
                LOG.log(Level.ERROR, "routing journal " + file + " names `" + String.join(" ", argv)
                        + "`, which this bundle never writes; skipped it. Check who wrote to that file.");
                continue;
            }
            try {
                Commands.Result r = commands.run(argv, null);
                if (r.ok() || r.alreadyGone()) {
                    LOG.log(Level.INFO, "undid `" + String.join(" ", argv) + "`" + (r.ok() ? "" : " (already gone)"));
                } else {
                    LOG.log(Level.ERROR, r.failure().getMessage() + "; undo it by hand");
                }
            } catch (IOException e) {
                LOG.log(Level.ERROR, e.getMessage() + "; undo it by hand");
            }
        }
        delete(file);
    }

    /** The undo command lines a journal's lines list as outstanding, oldest first. */
    static List<List<String>> outstanding(List<String> lines) {
        Map<String, List<String>> open = new LinkedHashMap<>();
        for (String line : lines) {
            String[] words = line.strip().split(" ");
            if (words.length < 2) {
                continue;
            }
            switch (words[0]) {
                case "do" -> {
                    List<String> argv = new ArrayList<>();
                    for (int i = 2; i < words.length; i++) {
                        argv.add(URLDecoder.decode(words[i], StandardCharsets.UTF_8));
                    }
                    if (!argv.isEmpty()) {
                        open.put(words[1], argv);
                    }
                }
                case "void", "undone" -> open.remove(words[1]);
                default -> {
                    // "boot", or a line torn by a power loss: nothing to undo
                }
            }
        }
        return new ArrayList<>(open.values());
    }

    /**
     * True for the undo command lines this bundle writes: ip, nft, sysctl or resolvectl, maybe
     * under ip netns exec, and the file steps that put a saved resolv.conf back and delete the copy.
     */
    static boolean allowed(List<String> argv) {
        if (FileSteps.handles(argv)) {
            return DnsPlan.undoesOnlyResolvConf(argv);
        }
        List<String> a = argv;
        if (a.size() > 4 && a.get(0).equals("ip") && a.get(1).equals("netns") && a.get(2).equals("exec")) {
            a = a.subList(4, a.size());
        }
        if (!a.isEmpty() && a.get(0).equals("resolvectl")) {
            return a.size() == 3 && a.get(1).equals("revert"); // the only undo of DnsPlan's resolvectl steps
        }
        return !a.isEmpty() && Commands.PROGRAMS.contains(a.get(0));
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot delete the routing journal " + file + ": " + e.getMessage()
                    + "; delete it by hand, or it is replayed again at the next start");
        }
    }

    static String bootId() {
        try {
            return Files.readString(BOOT_ID).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}

package org.minivpn.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A folder only the appliance's user may enter, such as {@code run/}: it holds the control socket,
 * the routing journal (replayed as root after a crash), the native libraries JNA unpacks and the
 * framework's cache, so another user who could write there could run code or commands as the
 * appliance. Used by the launcher and the control socket, outside the framework.
 */
public final class PrivateFolder {

    /** rwx------. */
    public static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rwx------");

    private PrivateFolder() {
    }

    /**
     * Makes {@code dir} (and missing parents) with mode 0700 from the start, so it is never wider
     * for a moment, whatever the umask; a folder that is already there and open to group or others
     * is tightened to 0700. Returns what a user should know: one line each for a folder that was
     * tightened, and for one that belongs to another user than the one running (who could change
     * what we read there), or nothing.
     *
     * @throws IOException naming the folder, when it cannot be made or tightened
     */
    public static List<String> ensure(Path dir) throws IOException {
        List<String> warnings = new ArrayList<>();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(MODE));
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (!mode.equals(MODE)) {
                Files.setPosixFilePermissions(dir, MODE);
                if (!MODE.containsAll(mode)) {
                    warnings.add(dir + " was mode " + PosixFilePermissions.toString(mode)
                            + ", open to other users; made it rwx------ (0700)");
                }
            }
            UserPrincipal owner = Files.getOwner(dir);
            String me = System.getProperty("user.name");
            if (me != null && !owner.getName().equals(me)) {
                warnings.add(dir + " belongs to " + owner.getName() + ", not to " + me + " who runs MiniVPN: "
                        + owner.getName() + " can change what MiniVPN reads there; give it to " + me
                        + " (chown -R " + me + " " + dir + ")");
            }
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot make " + dir + " private: its file system has no POSIX permissions;"
                    + " install MiniVPN on a Linux file system", e);
        } catch (IOException e) {
            throw new IOException("cannot make " + dir + " a folder only its owner may enter (mode 0700): "
                    + e.getMessage(), e);
        }
        return warnings;
    }
}

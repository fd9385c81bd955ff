package org.minivpn.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFolderTest {

    @TempDir
    Path dir;

    @Test
    void aNewFolderIsMade0700WithItsParents() throws IOException {
        Path run = dir.resolve("home/run");
        assertEquals(List.of(), PrivateFolder.ensure(run));
        assertEquals("rwx------", mode(run));
        assertEquals("rwx------", mode(run.getParent()), "a parent made on the way is private too");
    }

    @Test
    void aFolderOpenToOthersIsTightenedWithAWarning() throws IOException {
        Path run = Files.createDirectory(dir.resolve("run"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> warnings = PrivateFolder.ensure(run);
        assertEquals("rwx------", mode(run));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("was mode rwxr-xr-x") && warnings.get(0).contains("0700"), warnings.get(0));
    }

    @Test
    void aPrivateFolderIsLeftAsItIsWithoutAWord() throws IOException {
        Path run = Files.createDirectory(dir.resolve("run"));
        Files.setPosixFilePermissions(run, PrivateFolder.MODE);
        Files.writeString(run.resolve("routes.journal"), "boot x\n");
        assertEquals(List.of(), PrivateFolder.ensure(run));
        assertEquals("rwx------", mode(run));
        assertEquals("boot x\n", Files.readString(run.resolve("routes.journal")), "its content is untouched");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}

package org.minivpn.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket with the real Gogo runtime, outside OSGi. */
class ControlServerTest {

    @TempDir
    Path dir;

    private ThreadIOImpl threadIo;
    private CommandProcessorImpl processor;

    /** Commands registered in scope "t". */
    public static final class TestCommands {
        public String hello(String name) {
            return "hello " + name;
        }

        public void shout(String text) {
            System.out.println(text.toUpperCase());
            System.err.println("shouted");
        }

        public void fail() {
            throw new IllegalStateException("no CA configured: run vpn:pki init");
        }
    }

    @BeforeEach
    void gogo() {
        threadIo = new ThreadIOImpl();
        threadIo.start();
        processor = new CommandProcessorImpl(threadIo);
        TestCommands commands = new TestCommands();
        for (String f : new String[] {"hello", "shout", "fail"}) {
            processor.addCommand("t", commands, f);
        }
    }

    @AfterEach
    void stopGogo() {
        threadIo.stop();
    }

    @Test
    void runsACommandAndReturnsItsResultAndStatus() throws IOException {
        Path socket = dir.resolve("run/minivpn.sock");
        try (ControlServer server = new ControlServer(processor, socket)) {
            Reply r = run(socket, "t:hello world");
            assertEquals(0, r.status);
            assertEquals("hello world", r.out.strip());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        }
        assertFalse(Files.exists(socket), "the socket is removed on close");
    }

    @Test
    void aSocketFolderOpenToOthersIsTightenedBeforeTheSocketIsMade() throws IOException {
        Path run = Files.createDirectory(dir.resolve("run"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxr-x")); // umask 002
        Path socket = run.resolve("minivpn.sock");
        try (ControlServer server = new ControlServer(processor, socket)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
            assertEquals(0, run(socket, "t:hello world").status);
        }
    }

    @Test
    void streamsWhatTheCommandPrintsToTheRightStream() throws IOException {
        Path socket = dir.resolve("s.sock");
        try (ControlServer server = new ControlServer(processor, socket)) {
            Reply r = run(socket, "t:shout quiet");
            assertEquals(0, r.status);
            assertEquals("QUIET", r.out.strip());
            assertEquals("shouted", r.err.strip());
        }
    }

    @Test
    void aFailingCommandGivesStatusOneAndItsMessage() throws IOException {
        Path socket = dir.resolve("s.sock");
        try (ControlServer server = new ControlServer(processor, socket)) {
            Reply r = run(socket, "t:fail");
            assertEquals(1, r.status);
            assertTrue(r.err.contains("no CA configured: run vpn:pki init"), r.err);
            Reply missing = run(socket, "t:nothing");
            assertEquals(1, missing.status);
            assertTrue(missing.err.contains("t:nothing"), missing.err);
        }
    }

    @Test
    void aStaleSocketIsReplacedButALiveOneIsNot() throws IOException {
        Path socket = dir.resolve("s.sock");
        Files.createFile(socket); // left by a process that died
        try (ControlServer server = new ControlServer(processor, socket)) {
            assertEquals(0, run(socket, "t:hello again").status);
            IOException e = assertThrows(IOException.class, () -> new ControlServer(processor, socket));
            assertTrue(e.getMessage().contains("another MiniVPN already listens"), e.getMessage());
            assertEquals(0, run(socket, "t:hello still").status, "the first server still answers");
        }
    }

    @Test
    void theClientSaysWhenNoApplianceRuns() {
        Reply r = run(dir.resolve("nothing.sock"), "lb");
        assertEquals(ControlClient.NOT_RUNNING, r.status);
        assertTrue(r.err.contains("no MiniVPN appliance is running"), r.err);
    }

    @Test
    void commandsAreRefusedAsStartingUntilReadyAndWaitReadyWaitsForIt() throws Exception {
        Path socket = dir.resolve("s.sock");
        AtomicReference<String> waiting = new AtomicReference<>("bundles to start: org.minivpn.relay");
        try (ControlServer server = new ControlServer(processor, socket, waiting::get)) {
            Reply early = run(socket, "t:hello world");
            assertEquals(ControlClient.STARTING, early.status);
            assertEquals("", early.out, "the command did not run");
            assertTrue(early.err.contains("still starting (waiting for bundles to start: org.minivpn.relay)"), early.err);
            assertTrue(early.err.contains("--wait-ready"), early.err);

            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(ControlClient.TIMED_OUT, ControlClient.awaitReady(socket, Duration.ofMillis(300), err));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("not ready within")
                    && err.toString(StandardCharsets.UTF_8).contains("org.minivpn.relay"), err.toString(StandardCharsets.UTF_8));

            Thread later = new Thread(() -> {
                sleep(500);
                waiting.set(null);
            });
            later.start();
            long t0 = System.nanoTime();
            assertEquals(0, ControlClient.awaitReady(socket, Duration.ofSeconds(30), OutputStream.nullOutputStream()));
            assertTrue(System.nanoTime() - t0 >= 400_000_000L, "it waited for readiness");
            later.join();
            assertEquals(0, run(socket, "t:hello world").status);
            assertEquals(0, run(socket, "").status, "the empty command is the readiness probe");
        }
    }

    @Test
    void waitReadyWaitsForASocketThatIsNotThereYet() throws Exception {
        Path socket = dir.resolve("later.sock");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(ControlClient.TIMED_OUT, ControlClient.awaitReady(socket, Duration.ofMillis(200), err));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no control socket at"), err.toString(StandardCharsets.UTF_8));

        AtomicReference<ControlServer> server = new AtomicReference<>();
        Thread starter = new Thread(() -> {
            sleep(400);
            try {
                server.set(new ControlServer(processor, socket));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        starter.start();
        try {
            assertEquals(0, ControlClient.awaitReady(socket, Duration.ofSeconds(30), OutputStream.nullOutputStream()));
        } finally {
            starter.join();
            server.get().close();
        }
    }

    @Test
    void optionsOfMinivpnCtl() {
        ControlClient.Options o = ControlClient.Options.parse(new String[] {"--wait-ready", "vpn:status"});
        assertEquals(ControlClient.DEFAULT_READY_WAIT, o.readyWait());
        assertEquals("vpn:status", o.command());
        o = ControlClient.Options.parse(new String[] {"--timeout", "5", "--wait-ready", "15"});
        assertEquals(Duration.ofSeconds(15), o.readyWait());
        assertEquals(Duration.ofSeconds(5), o.timeout());
        assertEquals("", o.command(), "waiting alone is a command line of its own");
        assertEquals(null, ControlClient.Options.parse(new String[] {"lb"}).readyWait());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ControlClient.Options.parse(new String[0]));
        assertTrue(e.getMessage().contains("no command"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ControlClient.Options.parse(new String[] {"--timeout", "soon", "lb"}));
        assertTrue(e.getMessage().contains("number of seconds"), e.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void socketPathComesFromThePropertyOrTheInstallationFolder() {
        assertEquals(Path.of("/x/y.sock"), ControlSocket.socketPath("/x/y.sock", "/opt/minivpn"));
        assertEquals(Path.of("/opt/minivpn/run/minivpn.sock"), ControlSocket.socketPath(null, "/opt/minivpn"));
        assertEquals(Path.of("./run/minivpn.sock"), ControlSocket.socketPath("", null));
    }

    private record Reply(int status, String out, String err) {
    }

    private static Reply run(Path socket, String command) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ControlClient.run(socket, command, out, err, Duration.ofSeconds(10));
        return new Reply(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

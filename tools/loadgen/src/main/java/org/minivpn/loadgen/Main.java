package org.minivpn.loadgen;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * The load generator's command line: {@link Options#USAGE} says what it takes. Exit status 0 when
 * every session opened and lasted, 1 when not, 2 on misuse or unreadable files.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 0 || List.of(args).contains("--help")) {
            System.out.print(Options.USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        Options options;
        Identity identity;
        BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        try {
            options = Options.parse(args);
            identity = new Identity(crypto, options.ca(), options.cert(), options.key());
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("loadgen: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        // SIGTERM: stop holding, close the sessions, report; the hook waits for that, within bounds.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "loadgen-stop"));
        int status = 1;
        try (Keepers keepers = new Keepers(options.receivers())) {
            System.out.println("loadgen: every session presents '" + identity.name() + "'");
            status = new LoadRun(options, new Opener(options.server(), crypto, identity), keepers, System.out).run(stop);
        } catch (IOException e) {
            System.err.println("loadgen: " + e.getMessage());
        } finally {
            done.countDown();
        }
        System.exit(status);
    }
}

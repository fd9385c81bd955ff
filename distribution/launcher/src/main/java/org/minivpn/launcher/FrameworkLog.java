package org.minivpn.launcher;

import java.io.PrintStream;
import org.apache.felix.framework.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The framework's own log: one line a message on standard error, with the cause's message rather
 * than its stack trace (set {@code -Dminivpn.debug=true} for stack traces).
 */
final class FrameworkLog extends Logger {

    private final PrintStream out;
    private final boolean stackTraces = Boolean.getBoolean("minivpn.debug");

    FrameworkLog(PrintStream out) {
        this.out = out;
    }

    @Override
    protected void doLog(Bundle bundle, ServiceReference sr, int level, String msg, Throwable throwable) {
        String prefix = switch (level) {
            case LOG_ERROR -> "ERROR";
            case LOG_WARNING -> "WARNING";
            case LOG_INFO -> "INFO";
            default -> "DEBUG";
        };
        StringBuilder line = new StringBuilder("framework ").append(prefix).append(": ");
        if (bundle != null && bundle.getSymbolicName() != null) {
            line.append('[').append(bundle.getSymbolicName()).append("] ");
        }
        line.append(msg);
        if (throwable != null && !msg.contains(String.valueOf(throwable.getMessage()))) {
            line.append(": ").append(throwable.getMessage() != null ? throwable.getMessage() : throwable.toString());
        }
        synchronized (out) {
            out.println(line);
            if (throwable != null && stackTraces) {
                throwable.printStackTrace(out);
            }
        }
    }
}

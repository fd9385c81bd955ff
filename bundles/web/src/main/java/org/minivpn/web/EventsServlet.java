package org.minivpn.web;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardContextSelect;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code /api/events}: server-sent events (the WHATWG HTML standard's EventSource). First a
 * {@code history} event with the last five minutes of throughput, then a {@code state} event every
 * second. Each stream holds one of Jetty's threads, so at most {@link #STREAMS} are open at once and
 * each ends after {@link #LIFETIME_SECONDS}; the browser opens the next by itself ({@code retry}).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/events")
@HttpWhiteboardContextSelect(WebContext.SELECT)
public final class EventsServlet extends HttpServlet {

    static final int STREAMS = 8;
    static final int LIFETIME_SECONDS = 300;
    private static final long serialVersionUID = 1L;

    private final transient PageState state;
    private final transient Semaphore streams = new Semaphore(STREAMS);
    private final transient Object stop = new Object();
    private volatile boolean stopped;

    @Activate
    public EventsServlet(@Reference PageState state) {
        this.state = state;
    }

    /** Ends every open stream within a second. */
    @Deactivate
    void deactivate() {
        stopped = true;
        synchronized (stop) {
            stop.notifyAll();
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!streams.tryAcquire()) {
            response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE, "at most " + STREAMS
                    + " pages may follow the appliance at once: close one");
            return;
        }
        try {
            response.setContentType("text/event-stream");
            response.setCharacterEncoding("UTF-8");
            ServletOutputStream out = response.getOutputStream();
            send(out, "retry: 2000\n\nevent: history\ndata: " + state.history() + "\n\n");
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIFETIME_SECONDS);
            while (!stopped && System.nanoTime() - end < 0) {
                send(out, "event: state\ndata: " + state.json() + "\n\n");
                synchronized (stop) {
                    if (!stopped) {
                        stop.wait(1000);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the browser went away: the stream ends
        } finally {
            streams.release();
        }
    }

    private static void send(ServletOutputStream out, String event) throws IOException {
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

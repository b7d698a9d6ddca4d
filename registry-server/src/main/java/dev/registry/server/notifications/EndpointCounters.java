package dev.registry.server.notifications;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one notification endpoint's delivery did since start: monotonic counts and the current
 * backlog, safe to read from any thread (a metrics scrape) while the delivery thread writes them.
 */
public final class EndpointCounters {
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    /** Written by the delivery thread only; an event offered but not yet queued is not counted. */
    private volatile int pending;

    /** Events the endpoint acknowledged with a 2xx. */
    public long delivered() {
        return delivered.sum();
    }

    /** POSTs that failed (connection error, timeout or non-2xx) and are retried. */
    public long failures() {
        return failures.sum();
    }

    /** Events dropped because the queue was full, or offered while the server stopped. */
    public long dropped() {
        return dropped.sum();
    }

    /** Events queued for the endpoint and not yet delivered. */
    public int pending() {
        return pending;
    }

    void delivered(int events) {
        delivered.add(events);
    }

    void failed() {
        failures.increment();
    }

    void dropped(int events) {
        dropped.add(events);
    }

    void pending(int events) {
        pending = events;
    }
}

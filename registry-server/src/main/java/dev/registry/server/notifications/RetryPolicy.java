package dev.registry.server.notifications;

import java.time.Duration;

/**
 * When to try an endpoint again, with registry:2's {@code threshold} and {@code backoff}: after a
 * failure the next attempt is made at once until {@code threshold} attempts in a row have failed;
 * from then on each attempt waits until {@code backoff} has passed since the last failure. One
 * success starts the count again. Events are never given up on.
 */
final class RetryPolicy {
    private final int threshold;
    private final long backoffNanos;
    private int failures;
    private long lastFailure;

    RetryPolicy(int threshold, Duration backoff) {
        this.threshold = threshold;
        this.backoffNanos = backoff.toNanos();
    }

    void succeeded() {
        failures = 0;
    }

    void failed(long nowNanos) {
        failures++;
        lastFailure = nowNanos;
    }

    /** Failed attempts since the last success. */
    int failures() {
        return failures;
    }

    /** How long to wait at {@code nowNanos} ({@link System#nanoTime()}) before the next attempt; 0 for at once. */
    long delayNanos(long nowNanos) {
        if (failures < threshold) {
            return 0;
        }
        return Math.max(0, lastFailure + backoffNanos - nowNanos);
    }
}

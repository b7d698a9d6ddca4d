package dev.registry.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void retriesAtOnceUntilTheThresholdThenWaitsTheBackoffSinceTheLastFailure() {
        RetryPolicy retries = new RetryPolicy(3, Duration.ofSeconds(2));

        assertEquals(0, retries.delayNanos(0));
        retries.failed(10 * SECOND);
        assertEquals(0, retries.delayNanos(10 * SECOND));
        retries.failed(11 * SECOND);
        assertEquals(0, retries.delayNanos(11 * SECOND));
        retries.failed(12 * SECOND);
        assertEquals(2 * SECOND, retries.delayNanos(12 * SECOND), "the third failure in a row reaches the threshold");
        assertEquals(SECOND / 2, retries.delayNanos(13 * SECOND + SECOND / 2));
        assertEquals(0, retries.delayNanos(14 * SECOND));
        retries.failed(14 * SECOND);
        assertEquals(2 * SECOND, retries.delayNanos(14 * SECOND), "every later attempt waits the backoff again");
        assertEquals(4, retries.failures());
    }

    @Test
    void oneSuccessStartsTheCountAgain() {
        RetryPolicy retries = new RetryPolicy(1, Duration.ofSeconds(5));
        retries.failed(0);
        assertEquals(5 * SECOND, retries.delayNanos(0));

        retries.succeeded();

        assertEquals(0, retries.delayNanos(0));
        assertEquals(0, retries.failures());
    }
}

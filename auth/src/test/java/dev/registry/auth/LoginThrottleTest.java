package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final AtomicLong nanos = new AtomicLong(1_000);
    private final LoginThrottle throttle = new LoginThrottle(nanos::get);

    private void fail(String address, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(address);
        }
    }

    @Test
    void fourFailuresAreTolerated() {
        fail("10.0.0.1", 4);

        assertDoesNotThrow(() -> throttle.check("10.0.0.1", List.of()));
    }

    @Test
    void fiveFailuresWithinAMinuteBlockTheAddressUntilTheMinuteEnds() {
        fail("10.0.0.1", 5);
        nanos.addAndGet(Duration.ofSeconds(20).toNanos());

        TooManyAttemptsException e = assertThrows(TooManyAttemptsException.class,
                () -> throttle.check("10.0.0.1", List.of(Access.pull("a"))));
        assertEquals(40, e.retryAfterSeconds());
        assertEquals(429, e.status());
        assertEquals("TOOMANYREQUESTS", e.errorCode());
        assertEquals(List.of(Access.pull("a")), e.required());

        nanos.addAndGet(Duration.ofSeconds(41).toNanos());
        assertDoesNotThrow(() -> throttle.check("10.0.0.1", List.of()));
    }

    @Test
    void otherAddressesAreNotAffected() {
        fail("10.0.0.1", 10);

        assertDoesNotThrow(() -> throttle.check("10.0.0.2", List.of()));
    }

    @Test
    void failuresSpreadOverMoreThanAMinuteDoNotBlock() {
        fail("10.0.0.1", 3);
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        fail("10.0.0.1", 3);

        assertDoesNotThrow(() -> throttle.check("10.0.0.1", List.of()));
    }

    @Test
    void unknownAddressesAreNeverBlocked() {
        fail(null, 20);

        assertDoesNotThrow(() -> throttle.check(null, List.of()));
    }
}

package dev.registry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slows password guessing: after {@value #MAX_FAILURES} failed logins from one address within
 * {@link #WINDOW} of the first, further attempts from it are refused outright (429, without
 * checking the password, so that they cost no bcrypt either) until that window ends.
 *
 * <p>Refusing rather than delaying keeps server threads free. A success does not reset the count,
 * or one valid account would let an attacker keep guessing others. Requests without credentials
 * are never counted or refused.
 */
public final class LoginThrottle {
    public static final int MAX_FAILURES = 5;
    public static final Duration WINDOW = Duration.ofMinutes(1);

    private final Ticker ticker;
    private final Cache<String, Failures> failures;

    /** Failures counted since {@code startNanos}, the time of the first one. */
    private record Failures(long startNanos, AtomicInteger count) {
    }

    public LoginThrottle() {
        this(Ticker.systemTicker());
    }

    LoginThrottle(Ticker ticker) {
        this.ticker = ticker;
        // Written once, at the first failure, so the entry expires WINDOW after it.
        this.failures = Caffeine.newBuilder()
                .ticker(ticker)
                .expireAfterWrite(WINDOW)
                .maximumSize(100_000)
                .build();
    }

    /**
     * @param address the client's address, or {@code null} when unknown (never refused)
     * @throws TooManyAttemptsException if the address has used up its attempts
     */
    public void check(String address, List<Access> required) throws TooManyAttemptsException {
        if (address == null) {
            return;
        }
        Failures recent = failures.getIfPresent(address);
        if (recent != null && recent.count().get() >= MAX_FAILURES) {
            long left = WINDOW.toNanos() - (ticker.read() - recent.startNanos());
            throw new TooManyAttemptsException(Math.max(1, (left + 999_999_999L) / 1_000_000_000L), required);
        }
    }

    /** Counts a failed login from {@code address}. */
    public void failed(String address) {
        if (address != null) {
            failures.get(address, a -> new Failures(ticker.read(), new AtomicInteger())).count().incrementAndGet();
        }
    }
}

package dev.registry.auth;

import java.util.List;

/**
 * Refused because too many logins failed from the caller's address recently (see
 * {@link LoginThrottle}): answer 429 {@code TOOMANYREQUESTS} with {@code Retry-After}.
 */
public final class TooManyAttemptsException extends AccessDeniedException {
    private final long retryAfterSeconds;

    public TooManyAttemptsException(long retryAfterSeconds, List<Access> required) {
        super("too many failed login attempts; try again in " + retryAfterSeconds + " seconds", null, required);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Seconds until attempts from the address are accepted again, for the {@code Retry-After} header. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    @Override
    public int status() {
        return 429;
    }

    @Override
    public String errorCode() {
        return "TOOMANYREQUESTS";
    }
}

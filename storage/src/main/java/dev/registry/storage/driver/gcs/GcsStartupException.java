package dev.registry.storage.driver.gcs;

import java.io.IOException;

/**
 * The bucket cannot be used, found when the driver opens; {@link #problem()} says which setting is
 * at fault so the registry can name its configuration key.
 */
public final class GcsStartupException extends IOException {

    /** Which setting the failure points at. */
    public enum Problem {
        /** The bucket does not exist (or is not visible to these credentials). */
        BUCKET,
        /** The credentials are refused, or may not read or write the bucket. */
        CREDENTIALS,
        /** The service did not answer at the configured (or default) endpoint. */
        ENDPOINT
    }

    private final Problem problem;

    public GcsStartupException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}

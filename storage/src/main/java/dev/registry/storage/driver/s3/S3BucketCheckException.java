package dev.registry.storage.driver.s3;

import java.io.IOException;

/**
 * The bucket cannot be used as configured; {@link #problem()} says which setting is at fault, so
 * that the server can name the key in its one-sentence startup error.
 */
public final class S3BucketCheckException extends IOException {

    /** What the startup check found. */
    public enum Problem {
        /** The endpoint answered that there is no such bucket ({@code bucket}). */
        NO_SUCH_BUCKET,
        /** The endpoint refused the credentials or denied access ({@code accesskey}, {@code secretkey}). */
        ACCESS_DENIED,
        /** No credentials were configured and the default chain found none. */
        NO_CREDENTIALS,
        /** The bucket lives in another region than {@code region}. */
        WRONG_REGION,
        /** The endpoint could not be reached ({@code regionendpoint}, {@code secure}, the network). */
        UNREACHABLE,
        /** The bucket is readable but a test object could not be written and removed. */
        NOT_WRITABLE
    }

    private final Problem problem;

    public S3BucketCheckException(Problem problem, String detail, Throwable cause) {
        super(detail, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}

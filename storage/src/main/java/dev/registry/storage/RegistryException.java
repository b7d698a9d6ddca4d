package dev.registry.storage;

/**
 * A request the registry refuses, carrying the spec error code, the HTTP status and the detail
 * sent to the client. Only ever thrown for the client's input or the state it asked about;
 * backend failures are {@link java.io.IOException}s.
 */
public class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final int status;
    private final transient Object detail;

    public RegistryException(ErrorCode code, String message) {
        this(code, code.status(), message, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        this(code, code.status(), message, detail);
    }

    public RegistryException(ErrorCode code, int status, String message, Object detail) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    /** Extra structured information for the {@code detail} field, or {@code null}. */
    public Object detail() {
        return detail;
    }
}

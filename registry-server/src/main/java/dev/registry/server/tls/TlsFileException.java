package dev.registry.server.tls;

import java.nio.file.Path;

/**
 * A certificate or key file that cannot be used. The message is one sentence naming the file
 * and what is wrong with it, suitable for printing as is.
 */
public final class TlsFileException extends RuntimeException {
    private final transient Path file;

    public TlsFileException(Path file, String message) {
        super(message);
        this.file = file;
    }

    public TlsFileException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}

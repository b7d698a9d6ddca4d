package dev.registry.storage;

/**
 * A chunk that does not continue the upload where it stands (416). Carries the upload's current
 * size so the response can tell the client where to resume.
 */
public final class UploadRangeException extends RegistryException {
    private final long offset;

    public UploadRangeException(String message, long offset) {
        super(ErrorCode.BLOB_UPLOAD_INVALID, 416, message, java.util.Map.of("offset", offset));
        this.offset = offset;
    }

    /** Bytes the upload holds now. */
    public long offset() {
        return offset;
    }
}

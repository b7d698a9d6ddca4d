package dev.registry.storage.driver;

import java.io.IOException;

/**
 * Another writer (in this process or on another replica sharing the store) appended to the same
 * object since this writer opened it, or is appending to it now. Thrown by backends that let one
 * writer append at a time rather than tag what each left ({@link StorageWriter#contentTag()}).
 */
public class ConcurrentWriteException extends IOException {
    private final long size;

    public ConcurrentWriteException(String path, long size) {
        super(path + " is being written by another writer");
        this.size = size;
    }

    /** The object's size as this writer last saw it. */
    public long size() {
        return size;
    }
}

package dev.registry.storage.driver;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * A write in progress to one object. Bytes become durable only at {@link #commit()}; a writer
 * that is closed without commit may be resumed with {@code StorageDriver.writer(path, true)}.
 */
public interface StorageWriter extends WritableByteChannel {

    /** Bytes in the object so far, including those written before a resume. */
    long size();

    /** Makes everything written durable (data and the directory entry). */
    void commit() throws IOException;

    /** Abandons the write and removes what was written. */
    void cancel() throws IOException;
}

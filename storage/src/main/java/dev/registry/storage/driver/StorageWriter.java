package dev.registry.storage.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A write in progress to one object. Bytes become durable only at {@link #commit()}; a writer
 * that is closed without commit may be resumed with {@code StorageDriver.writer(path, true)}.
 */
public interface StorageWriter extends WritableByteChannel {

    /**
     * Writes all of {@code sources}, in order. Backends that can gather (a file channel) write
     * them in one call without copying.
     *
     * @return the number of bytes written
     */
    default long writeAll(ByteBuffer[] sources) throws IOException {
        long written = 0;
        for (ByteBuffer source : sources) {
            while (source.hasRemaining()) {
                written += write(source);
            }
        }
        return written;
    }

    /**
     * Says that exactly {@code bytes} more will be written before the writer is committed or
     * closed (a chunk whose request declared its length), so a backend may start storing them
     * while they still arrive. Only a hint: if another number arrives, the writer stores what did
     * arrive as if it had never been told.
     */
    default void expect(long bytes) throws IOException {
    }

    /** Bytes in the object so far, including those written before a resume. */
    long size();

    /**
     * Makes everything written durable and final. The object is then published under its final
     * name with {@link StorageDriver#move}, which makes that name durable; a committed object is
     * never left under its temporary name.
     */
    void commit() throws IOException;

    /** Abandons the write and removes what was written. */
    void cancel() throws IOException;

    /**
     * Names exactly the bytes the object holds as this writer knows them: before its first write,
     * what it found; after {@link #close()}, what it left. Two writers that appended different
     * bytes at the same offset (two replicas taking one upload's chunk at once) leave different
     * tags, even where the store keeps only one of them, so whatever is kept beside an upload (its
     * running hash) can be tied to the bytes it describes.
     *
     * <p>{@code null} where the backend lets only one writer append at a time: there a writer that
     * finds another one appending, or the object changed since it opened it, fails with
     * {@link ConcurrentWriteException}, and the size alone tells what the object holds.
     */
    default String contentTag() {
        return null;
    }
}

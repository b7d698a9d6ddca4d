package dev.registry.storage.driver;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The storage backend SPI: a small hierarchical key/value store, as CNCF Distribution's
 * {@code storagedriver.StorageDriver}. Everything registry-specific (blobs, links, manifests,
 * tags, uploads, the path layout) lives above it, so a backend is one small class.
 *
 * <p>Paths are absolute, {@code /}-separated, and built only by the registry's path layout:
 * segments never are {@code .}, {@code ..} or empty. Implementations must still refuse any path
 * that would leave their root. All methods block; callers never run them on an event loop.
 *
 * <p>Missing paths raise {@link PathNotFoundException}; every other failure an {@link IOException}.
 */
public interface StorageDriver {

    /** The driver's configuration name ({@code filesystem}, {@code s3}, ...). */
    String name();

    /** The whole content of a small object, such as a link file or a manifest. */
    byte[] getContent(String path) throws IOException;

    /**
     * Stores {@code content} at {@code path}, replacing what was there. Readers see either the
     * old or the new content, never a mix, and the write is durable when this returns.
     */
    void putContent(String path, byte[] content) throws IOException;

    /**
     * Stores bookkeeping the registry can do without after a crash, such as an upload's start
     * time: like {@link #putContent}, readers see the old or the new content, but the backend
     * may skip making it durable, and after a crash it may be missing or empty. Backends whose
     * writes are always durable need not override this.
     */
    default void putVolatileContent(String path, byte[] content) throws IOException {
        putContent(path, content);
    }

    /**
     * A channel over the object's bytes starting at {@code offset}. Filesystem-backed drivers
     * return a {@link java.nio.channels.FileChannel} positioned at {@code offset}, which callers
     * may use for zero-copy transfer.
     */
    ReadableByteChannel reader(String path, long offset) throws IOException;

    /**
     * A writer for {@code path}: with {@code append} it continues after the existing content
     * (resuming an upload), otherwise it starts empty. Nothing written is guaranteed durable
     * before {@link StorageWriter#commit()}.
     */
    StorageWriter writer(String path, boolean append) throws IOException;

    /** Size, modification time and kind of the object or directory at {@code path}. */
    FileInfo stat(String path) throws IOException;

    /** The full paths of the direct children of directory {@code path}, in no particular order. */
    List<String> list(String path) throws IOException;

    /**
     * Moves an object to {@code destination}, replacing what was there. Readers of the
     * destination see the old or the new object, never a partial one, and the destination is
     * durable when this returns (its content too, if it was {@linkplain StorageWriter#commit()
     * committed} or stored with {@link #putContent}).
     */
    void move(String source, String destination) throws IOException;

    /** Deletes the object or the whole directory tree at {@code path}. */
    void delete(String path) throws IOException;

    /**
     * A URL the client may fetch the object from directly (a pre-signed URL), if the backend can
     * issue one; the filesystem cannot.
     */
    default Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        return Optional.empty();
    }
}

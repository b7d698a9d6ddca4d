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
 * segments never are {@code .}, {@code ..} or empty. Implementations must still refuse every path
 * that {@link StoragePaths#check} refuses (not absolute; an empty, {@code .} or {@code ..} segment,
 * which includes a trailing {@code /}; a backslash or NUL) with an {@link IllegalArgumentException},
 * before touching the store. {@code /} is the root. All methods block; callers never run them on
 * an event loop. Implementations are safe for concurrent use by many threads.
 *
 * <p>An <em>object</em> is what {@link #putContent} stored or a {@link StorageWriter} committed; a
 * <em>directory</em> is any proper prefix of an object's path (object stores have no empty
 * directories, so nothing may rely on one existing). Missing paths raise
 * {@link PathNotFoundException}, and so does reading a directory as an object; every other
 * failure is an {@link IOException}.
 *
 * <p>Every driver passes {@code StorageDriverContract} (in the storage module's tests), which
 * checks each promise made here.
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
     * A channel over the object's bytes starting at {@code offset}: an offset equal to the size
     * gives an empty channel, one beyond it an {@link IOException} that is not a
     * {@link PathNotFoundException} (raised here or by the first read). The channel streams: it
     * never holds the whole object in memory. Filesystem-backed drivers return a
     * {@link java.nio.channels.FileChannel} positioned at {@code offset}, which callers may use
     * for zero-copy transfer.
     */
    ReadableByteChannel reader(String path, long offset) throws IOException;

    /**
     * A writer for {@code path}. With {@code append} it continues a write to {@code path} that an
     * earlier writer (possibly in another process, on another machine) closed without commit, or
     * starts empty if there is none; without it, it starts empty and discards any such write.
     * This is how the registry resumes an upload chunk after chunk, on whichever replica gets
     * the chunk. Whether {@code append} continues an object that was already committed or stored
     * with {@link #putContent} is up to the backend; the registry never relies on it.
     *
     * <p>Before {@link StorageWriter#commit()}, nothing written is guaranteed durable, and only
     * {@link StorageWriter#size()} of a resumed writer is guaranteed to count it:
     * {@link #getContent}, {@link #reader}, {@link #stat} and {@link #list} may or may not see an
     * uncommitted write (an object store holds it as an unfinished multipart upload), and may show
     * an older committed object at {@code path} instead. After the
     * commit, the object is at {@code path}, replacing any object that was there.
     */
    StorageWriter writer(String path, boolean append) throws IOException;

    /**
     * {@code writer(path, true)} for a caller that expects {@code path} to hold {@code size} bytes
     * (the offset a client declared for its chunk). A backend whose look-up of an unfinished write
     * costs a round trip may instead start from its own record of the last write it left there,
     * if that record has {@code size} bytes, and check the record against the store while the
     * bytes arrive. A writer whose record proves stale keeps none of what it was given: its
     * {@code write}, {@code close} or {@code commit} fails with {@link ConcurrentWriteException}
     * carrying the size the store holds, as if another writer had appended meanwhile. Either way
     * the writer's {@link StorageWriter#size()} may differ from {@code size}.
     */
    default StorageWriter writerAt(String path, long size) throws IOException {
        return writer(path, true);
    }

    /**
     * A writer of a new object at {@code path} that shows nothing there until its
     * {@link StorageWriter#commit()}, which puts the whole object at {@code path} at once
     * (replacing one that was there) and makes it durable: the registry writes a blob straight to
     * its final path with it when the blob's digest is known before its bytes, and so spares the
     * {@link #move} of a finished upload (a server-side copy on an object store). Nobody else can
     * continue or see the write, other writes to {@code path} are left alone, and one that is
     * cancelled, closed without commit or cut short by a crash leaves {@code path} as it was (an
     * object store may keep the abandoned upload's parts until it expires them).
     *
     * <p>Empty where the backend cannot do this (a filesystem writes in place); the registry then
     * writes aside and moves.
     */
    default Optional<StorageWriter> atomicWriter(String path) throws IOException {
        StoragePaths.check(path);
        return Optional.empty();
    }

    /**
     * Size, modification time and kind of the object or directory at {@code path}. A path that
     * merely shares a prefix with an object's path ({@code /a/b} for {@code /a/bc}) is missing.
     */
    FileInfo stat(String path) throws IOException;

    /**
     * The full paths of the direct children (objects and directories) of directory {@code path},
     * each once, in no particular order, however many there are: drivers of paged backends page
     * through all of them. A missing directory raises {@link PathNotFoundException}.
     */
    List<String> list(String path) throws IOException;

    /**
     * Moves an object to {@code destination}, replacing what was there, without passing its bytes
     * through this process where the backend can avoid it (an object store copies server-side). Readers of the
     * destination see the old or the new object, never a partial one, and the destination is
     * durable when this returns (its content too, if it was {@linkplain StorageWriter#commit()
     * committed} or stored with {@link #putContent}).
     */
    void move(String source, String destination) throws IOException;

    /**
     * Deletes the object or the whole directory tree at {@code path}, and nothing that merely
     * shares a prefix with it ({@code /a/bc} survives deleting {@code /a/b}).
     */
    void delete(String path) throws IOException;

    /**
     * A URL the client may fetch the object from directly (a pre-signed URL), valid for about
     * {@code validFor}, if the backend can issue one; the filesystem and in-memory drivers cannot.
     * A {@code GET} of the URL answers the object's bytes (and honours {@code Range}).
     */
    default Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        StoragePaths.check(path);
        return Optional.empty();
    }
}

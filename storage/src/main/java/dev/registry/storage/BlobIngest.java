package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A blob arriving from elsewhere (an upstream registry, for the pull-through mirror), written
 * while it streams: hashed as it is written, then published under its digest and linked into
 * the repository only if it is complete and its digest matches. Anything else stores nothing.
 *
 * <p>Where the backend can publish a write atomically ({@link BlobStore#atomicWriter}, an object
 * store) the bytes go straight to the blob's own path, and nothing shows there unless it is
 * complete. Otherwise they go to an upload directory of the repository ({@code _uploads/<uuid>/},
 * with a {@code startedat} file), so a process that dies half way leaves only what upload purging
 * removes anyway, and are moved to the blob's path when verified. Not safe for concurrent use:
 * one thread writes, then completes or aborts.
 */
public final class BlobIngest implements AutoCloseable {
    private final StorageDriver driver;
    private final BlobStore blobs;
    private final String name;
    /** The upload directory's id, or null when writing straight to the blob's path. */
    private final String uuid;
    private final Digest expected;
    private final long expectedSize;
    private final MessageDigest hash;
    private final StorageWriter writer;
    private long written;
    private boolean finished;

    private BlobIngest(StorageDriver driver, BlobStore blobs, String name, String uuid, Digest expected, long expectedSize,
                       StorageWriter writer) {
        this.driver = driver;
        this.blobs = blobs;
        this.name = name;
        this.uuid = uuid;
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.writer = writer;
        this.hash = Digest.newMessageDigest(expected.algorithm());
    }

    /**
     * Starts writing blob {@code expected} of {@code expectedSize} bytes for repository {@code name}.
     */
    static BlobIngest start(StorageDriver driver, BlobStore blobs, String name, Digest expected, long expectedSize,
                            Instant now) throws IOException {
        Optional<StorageWriter> direct = blobs.atomicWriter(expected);
        if (direct.isPresent()) {
            return new BlobIngest(driver, blobs, name, null, expected, expectedSize, direct.get());
        }
        String uuid = UUID.randomUUID().toString();
        driver.putVolatileContent(PathLayout.uploadStartedAt(name, uuid), now.toString().getBytes(StandardCharsets.UTF_8));
        StorageWriter writer = driver.writer(PathLayout.uploadData(name, uuid), false);
        return new BlobIngest(driver, blobs, name, uuid, expected, expectedSize, writer);
    }

    /** The blob being written. */
    public Digest digest() {
        return expected;
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }

    /** Hashes and stores the buffer's remaining bytes; the buffer's position is left unchanged. */
    public void write(ByteBuffer bytes) throws IOException {
        if (finished) {
            throw new IllegalStateException("ingest of " + expected + " already finished");
        }
        ByteBuffer forHash = bytes.duplicate();
        ByteBuffer forWrite = bytes.duplicate();
        written += forWrite.remaining();
        if (written > expectedSize) {
            throw new IOException("blob " + expected + " is longer than the " + expectedSize + " bytes announced");
        }
        hash.update(forHash);
        while (forWrite.hasRemaining()) {
            writer.write(forWrite);
        }
    }

    /**
     * Verifies size and digest, then publishes the blob and links it into the repository.
     *
     * @throws RegistryException {@code DIGEST_INVALID} or {@code SIZE_INVALID} after removing what was written
     */
    public BlobInfo complete() throws IOException {
        if (finished) {
            throw new IllegalStateException("ingest of " + expected + " already finished");
        }
        finished = true;
        try {
            if (written != expectedSize) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "blob " + expected + " ended after " + written
                        + " of " + expectedSize + " bytes");
            }
            Digest actual = Digest.of(expected.algorithm(), hash);
            if (!actual.equals(expected)) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "blob content does not match its digest",
                        Map.of("expected", expected.toString(), "actual", actual.toString()));
            }
            writer.commit();
            writer.close();
            if (uuid != null) {
                blobs.publish(PathLayout.uploadData(name, uuid), expected, written);
            }
            blobs.link(name, expected);
        } catch (IOException | RuntimeException e) {
            discard();
            throw e;
        }
        if (uuid != null) {
            driver.delete(PathLayout.uploadDirectory(name, uuid));
        }
        return new BlobInfo(expected, written);
    }

    /** Abandons the write; nothing is stored. Does nothing once finished. */
    public void abort() {
        if (!finished) {
            finished = true;
            discard();
        }
    }

    private void discard() {
        try {
            writer.cancel();
        } catch (IOException | RuntimeException ignored) {
            // the upload directory is deleted below, or purged later
        }
        try {
            writer.close();
        } catch (IOException | RuntimeException ignored) {
            // cancelled already
        }
        if (uuid == null) {
            return;
        }
        try {
            driver.delete(PathLayout.uploadDirectory(name, uuid));
        } catch (IOException | RuntimeException ignored) {
            // upload purging removes it
        }
    }

    @Override
    public void close() {
        abort();
    }
}

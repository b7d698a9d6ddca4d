package dev.registry.storage.driver.gcs;

import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.StorageWriter;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Streams the bytes of one writer into a resumable upload of {@code chunkSize} requests, so memory
 * stays at one chunk whatever the size.
 *
 * <p>Resuming without reading back: the object at the path always holds everything written by
 * earlier writers (each one's upload is finished when it closes). A writer opened with
 * {@code append} on an object that exists learns its size and generation from its metadata and
 * uploads its own bytes as a separate part (a hidden sibling); when it closes or commits, GCS
 * composes object + part into the object, server-side, on condition that the object is still the
 * generation this writer started from, so two writers racing on one path cannot both win. The part
 * is then deleted. Any replica can therefore continue an upload; no session state lives in memory
 * between writers.
 *
 * <p>An <em>atomic</em> writer ({@link GcsDriver#atomicWriter}) streams to the path itself and
 * finishes its upload only on commit: closed without commit or cancelled, it abandons the upload,
 * so nothing appears and an object already at the path stays.
 */
final class GcsWriter implements StorageWriter {
    private final GcsDriver driver;
    private final String path;
    private final BlobId target;
    /** Generation of the stored object this writer appends to; 0 when it starts a new object. */
    private final long baseGeneration;
    private final long baseSize;
    /** Whether only a commit finishes the upload (see the class comment). */
    private final boolean atomic;
    /** Whether this writer appends to an object that did not exist: it must still not exist when it creates it. */
    private final boolean createOnly;
    /** The generation this writer left at the path once it finished, 0 before. */
    private long finishedGeneration;
    /** The object the stream goes to: the target itself, or a part when appending to stored bytes. */
    private BlobId streamTarget;
    private WriteChannel stream;
    private long streamed;
    private boolean finished;

    private GcsWriter(GcsDriver driver, String path, long baseGeneration, long baseSize, boolean atomic,
                      boolean createOnly) {
        this.driver = driver;
        this.createOnly = createOnly;
        this.path = path;
        this.target = driver.blobId(path);
        this.baseGeneration = baseGeneration;
        this.baseSize = baseSize;
        this.atomic = atomic;
    }

    /** A writer of a new object at {@code path} that appears only when committed. */
    static GcsWriter atomic(GcsDriver driver, String path) {
        return new GcsWriter(driver, path, 0, 0, true, false);
    }

    static GcsWriter open(GcsDriver driver, String path, boolean append) throws IOException {
        if (!append) {
            return new GcsWriter(driver, path, 0, 0, false, false);
        }
        Blob existing = driver.getBlob(path);
        return existing == null
                ? new GcsWriter(driver, path, 0, 0, false, true)
                : new GcsWriter(driver, path, existing.getGeneration(), existing.getSize(), false, false);
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        if (finished) {
            throw new IOException("writer for " + path + " is already closed");
        }
        int written = 0;
        if (!source.hasRemaining()) {
            return 0;
        }
        WriteChannel channel = stream();
        try {
            while (source.hasRemaining()) {
                written += channel.write(source);
            }
        } catch (StorageException e) {
            throw GcsDriver.translate(path, e);
        }
        streamed += written;
        return written;
    }

    private WriteChannel stream() throws IOException {
        if (stream == null) {
            Storage.BlobWriteOption precondition;
            if (baseGeneration == 0) {
                streamTarget = target;
                // a rewrite replaces whatever is there; an append that found nothing creates the
                // object only if nobody else did meanwhile (two replicas taking one first chunk)
                precondition = createOnly ? Storage.BlobWriteOption.doesNotExist() : null;
            } else {
                streamTarget = BlobId.of(driver.bucket(), driver.partKey(path));
                precondition = Storage.BlobWriteOption.doesNotExist();
            }
            BlobInfo info = BlobInfo.newBuilder(streamTarget).setContentType(GcsDriver.CONTENT_TYPE).build();
            try {
                stream = precondition == null
                        ? driver.storage().writer(info)
                        : driver.storage().writer(info, precondition);
            } catch (StorageException e) {
                throw GcsDriver.translate(path, e);
            }
            stream.setChunkSize(driver.chunkSize());
        }
        return stream;
    }

    @Override
    public long size() {
        return baseSize + streamed;
    }

    /**
     * The object's generation: what this writer found, or what it left once finished. Each append
     * makes a new generation, and of two appends to one generation only one can finish (the
     * other's compose or create fails its precondition).
     */
    @Override
    public String contentTag() {
        long generation = finished ? finishedGeneration : baseGeneration;
        return generation == 0 ? null : Long.toString(generation);
    }

    @Override
    public void commit() throws IOException {
        if (finished) {
            throw new IOException("writer for " + path + " is already closed");
        }
        finish();
    }

    @Override
    public void cancel() throws IOException {
        finished = true;
        // an unfinished resumable upload creates no object; GCS forgets the session after a week
        stream = null;
        if (atomic) {
            return; // what is at the path is not this writer's
        }
        if (streamTarget != null && !streamTarget.equals(target)) {
            driver.deleteQuietly(streamTarget, path);
        }
        driver.deleteQuietly(target, path);
    }

    @Override
    public boolean isOpen() {
        return !finished;
    }

    /**
     * Finishes the upload, so that the object holds everything written and a later writer may
     * append; an atomic writer that was not committed abandons its upload instead.
     */
    @Override
    public void close() throws IOException {
        if (!finished) {
            if (atomic) {
                cancel();
            } else {
                finish();
            }
        }
    }

    private void finish() throws IOException {
        finished = true;
        Storage storage = driver.storage();
        try {
            if (stream == null) {
                if (baseGeneration == 0) {
                    // nothing written to a new (or rewritten) object: it still has to exist, empty
                    BlobInfo empty = BlobInfo.newBuilder(target).setContentType(GcsDriver.CONTENT_TYPE).build();
                    finishedGeneration = (createOnly
                            ? storage.create(empty, new byte[0], Storage.BlobTargetOption.doesNotExist())
                            : storage.create(empty, new byte[0])).getGeneration();
                } else {
                    finishedGeneration = baseGeneration;
                }
                return;
            }
            stream.close();
            if (streamTarget.equals(target)) {
                if (createOnly) {
                    // Created under doesNotExist: this generation is ours, unless another writer
                    // has appended since; its generation then describes more bytes than this
                    // writer's size, so a state saved for this size under it is never taken for them.
                    Blob created = driver.getBlob(path);
                    finishedGeneration = created == null ? 0 : created.getGeneration();
                }
                return;
            }
            try {
                finishedGeneration = storage.compose(Storage.ComposeRequest.newBuilder()
                        .addSource(target.getName(), baseGeneration)
                        .addSource(streamTarget.getName())
                        .setTarget(BlobInfo.newBuilder(target).setContentType(GcsDriver.CONTENT_TYPE).build())
                        .setTargetOptions(Storage.BlobTargetOption.generationMatch(baseGeneration))
                        .build()).getGeneration();
            } finally {
                driver.deleteQuietly(streamTarget, path);
            }
        } catch (StorageException e) {
            if (e.getCode() == 412 || e.getCode() == 404 && streamTarget != null && !streamTarget.equals(target)) {
                // the generation appended to was replaced (412) or is gone (404: replaced or cancelled)
                throw (IOException) new ConcurrentWriteException(path, baseSize).initCause(e);
            }
            throw GcsDriver.translate(path, e);
        }
    }
}

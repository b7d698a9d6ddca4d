package dev.registry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Blob uploads: sessions that receive a blob in one or more chunks, hash it while it streams,
 * and publish it under its digest only once the whole content is verified.
 *
 * <p>An upload's bytes live in storage ({@code _uploads/<uuid>/data}), so a session survives a
 * restart and its chunks may arrive at different replicas. The running SHA-256 is kept in memory
 * by the replica that took the last chunk, and saved after every chunk to
 * {@code _uploads/<uuid>/hashstates/sha256/<offset>} (registry:2's place and format, see
 * {@link Sha256States}), so the replica that takes the next chunk continues from it without
 * reading back what is stored. Only when no saved state matches the stored size (a crash between
 * a chunk and its state, a failed chunk) are the stored bytes hashed again, which a filesystem
 * can do and an object store cannot (the upload then fails with {@code BLOB_UPLOAD_INVALID}).
 */
public final class UploadService {
    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    private static final int COPY_BUFFER = 256 * 1024;
    /** About how much of a request body one write takes: what arrived, up to this much. */
    private static final int BATCH_BYTES = 1024 * 1024;
    /** Batches from this size on are hashed on another thread while they are written. */
    private static final int PARALLEL_HASH_BYTES = 128 * 1024;
    private static final ExecutorService HASHERS = Executors.newVirtualThreadPerTaskExecutor();
    /** Saves a chunk's hash state while the chunk's last bytes are made durable. */
    private static final ExecutorService STATE_SAVERS = Executors.newVirtualThreadPerTaskExecutor();

    private final StorageDriver driver;
    private final BlobStore blobs;
    private final Clock clock;
    private final boolean openAtStart;
    // Both caches do their upkeep on the calling thread (executor(Runnable::run)): by default
    // Caffeine hands it to the common pool after writes, which cost every push a wake-up of
    // another thread, several times what the upkeep itself takes.
    private final Cache<String, UploadState> states = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofHours(1))
            .maximumSize(10_000)
            .executor(Runnable::run)
            .recordStats()
            .build();
    /**
     * One lock per upload, held by weak reference: a lock lives as long as a request holds or
     * waits for it, and no longer. Kept for a time instead, one entry per upload ever touched
     * (and per unknown upload id a client sent) stayed on the heap for that time, which at a
     * steady push rate grew the heap without bound in practice (docs/benchmark.md, "Soak").
     */
    private final Cache<String, ReentrantLock> locks = Caffeine.newBuilder()
            .weakValues()
            .executor(Runnable::run)
            .build();

    /**
     * The cache of upload hash states, which spares re-reading an upload to resume its digest;
     * it counts hits and misses.
     */
    public Cache<String, ?> stateCache() {
        return states;
    }

    public UploadService(StorageDriver driver, BlobStore blobs, Clock clock) {
        this(driver, blobs, clock, false);
    }

    /**
     * @param openAtStart whether {@link #start} also opens and closes the upload's writer, as
     *                    registry:2 does: on S3 that leaves the empty multipart upload registry:2
     *                    looks for when it continues an upload (it refuses one without), at the
     *                    cost of a few requests per upload. Worth it only where registry:2 may take
     *                    a later request of the same upload (see {@code http.secret}).
     */
    public UploadService(StorageDriver driver, BlobStore blobs, Clock clock, boolean openAtStart) {
        this.driver = driver;
        this.blobs = blobs;
        this.clock = clock;
        this.openAtStart = openAtStart;
    }

    /** Starts a new, empty upload in repository {@code name}. */
    public UploadSession start(String name) throws IOException {
        return start(name, openAtStart);
    }

    /**
     * Starts an upload that the same request finishes (a monolithic push): its URL is never
     * handed out, so no other server takes part and its writer is not opened ahead for registry:2.
     */
    public UploadSession startInternal(String name) throws IOException {
        return start(name, false);
    }

    private UploadSession start(String name, boolean openWriter) throws IOException {
        String uuid = UUID.randomUUID().toString();
        Instant now = clock.instant();
        // Not synced: a crash before the first chunk loses nothing acknowledged, and a lost or
        // empty start time is read as the file's modification time (see startedAt).
        driver.putVolatileContent(PathLayout.uploadStartedAt(name, uuid), now.toString().getBytes(StandardCharsets.UTF_8));
        if (openWriter) {
            driver.writer(PathLayout.uploadData(name, uuid), false).close();
        }
        UploadState state = new UploadState(Sha256States.newDigest(), 0);
        state.startedAt = now;
        states.put(key(name, uuid), state);
        return new UploadSession(name, uuid, 0, now);
    }

    /** The upload's current state; {@code BLOB_UPLOAD_UNKNOWN} if there is no such upload. */
    public UploadSession status(String name, String uuid) throws IOException {
        validateUuid(uuid);
        Instant startedAt = startedAt(name, uuid);
        return new UploadSession(name, uuid, storedSize(name, uuid), startedAt);
    }

    /**
     * Appends one chunk read from {@code body} to the upload.
     *
     * @return the upload's state after the chunk
     */
    public UploadSession append(String name, String uuid, ReadableByteChannel body, ChunkRange range) throws IOException {
        validateUuid(uuid);
        ReentrantLock lock = lock(name, uuid);
        lock.lock();
        try {
            // A replica that took the previous chunk knows the upload started, and finds it still
            // there when the stored size is the one it left (checked in appendLocked): on an
            // object store that spares a read per chunk.
            UploadState cached = states.getIfPresent(key(name, uuid));
            Instant known = cached != null && cached.offset > 0 ? cached.startedAt : null;
            Instant startedAt = known != null ? known : startedAt(name, uuid);
            UploadState state = appendLocked(name, uuid, body, range, known != null);
            state.startedAt = startedAt;
            return new UploadSession(name, uuid, state.offset, startedAt);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Finishes the upload: appends the optional last chunk, verifies the whole content against
     * {@code expected}, publishes the blob and links it into the repository. On a digest
     * mismatch the upload is removed and nothing is stored.
     */
    public BlobInfo complete(String name, String uuid, Digest expected, ReadableByteChannel lastChunk, ChunkRange range)
            throws IOException {
        validateUuid(uuid);
        ReentrantLock lock = lock(name, uuid);
        lock.lock();
        try {
            startedAt(name, uuid);
            if (lastChunk != null) {
                Optional<BlobInfo> direct = completeDirectly(name, uuid, expected, lastChunk, range);
                if (direct.isPresent()) {
                    return direct.get();
                }
            }
            String data = PathLayout.uploadData(name, uuid);
            UploadState state;
            // One writer takes the last chunk and commits, so what it verifies is what it wrote.
            // Published before the writer closes: a backend that lets one writer append at a time
            // (see StorageWriter.contentTag) holds off any other until the bytes are the blob's.
            try (StorageWriter writer = driver.writer(data, true)) {
                state = lastChunk != null
                        ? writeChunk(writer, name, uuid, lastChunk, range, false)
                        // appended elsewhere (another replica) since: verify what is stored, not what we saw
                        : stateOf(name, uuid, writer);
                writer.commit();
                Digest actual = expected.algorithm().equals("sha256")
                        ? Digest.of("sha256", cloneDigest(state.digest))
                        : Digest.of(expected.algorithm(), hashStored(name, uuid, expected.algorithm()).digest);
                if (!actual.equals(expected)) {
                    cancelLocked(name, uuid);
                    throw digestMismatch(expected, actual);
                }
                blobs.publish(data, expected, state.offset);
            } catch (ConcurrentWriteException e) {
                throw concurrentWrite(name, uuid, e);
            }
            blobs.link(name, expected);
            cancelLocked(name, uuid);
            return new BlobInfo(expected, state.offset);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A whole blob in the request that completes an empty upload (a monolithic push): where the
     * backend publishes writes atomically, the body goes straight to the blob's own path and is
     * committed there only once its digest matches, which spares moving a finished upload (on an
     * object store, copying every byte again inside the store). Empty, with nothing read, when
     * the backend cannot or the upload already holds bytes; the caller then appends as usual.
     */
    private Optional<BlobInfo> completeDirectly(String name, String uuid, Digest expected, ReadableByteChannel body,
                                                ChunkRange range) throws IOException {
        if (range.start() > 0) {
            return Optional.empty();
        }
        UploadState cached = states.getIfPresent(key(name, uuid));
        if (cached != null && cached.offset != 0) {
            return Optional.empty();
        }
        Optional<StorageWriter> atomic = blobs.atomicWriter(expected);
        if (atomic.isEmpty()) {
            return Optional.empty();
        }
        // the chunks before may have gone to another replica: only what is stored counts
        if (storedSize(name, uuid) != 0) {
            atomic.get().close(); // nothing written: leaves nothing behind
            return Optional.empty();
        }
        MessageDigest digest = Digest.newMessageDigest(expected.algorithm());
        long written;
        try (StorageWriter writer = atomic.get()) { // closed without commit, it leaves nothing
            written = copyBody(body, writer, digest, range);
            Digest actual = Digest.of(expected.algorithm(), digest);
            if (!actual.equals(expected)) {
                cancelLocked(name, uuid);
                throw digestMismatch(expected, actual);
            }
            writer.commit();
        }
        blobs.link(name, expected);
        cancelLocked(name, uuid);
        return Optional.of(new BlobInfo(expected, written));
    }

    /** Cancels the upload and removes what it received. */
    public void cancel(String name, String uuid) throws IOException {
        validateUuid(uuid);
        ReentrantLock lock = lock(name, uuid);
        lock.lock();
        try {
            startedAt(name, uuid);
            cancelLocked(name, uuid);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes uploads of every repository that started before {@code now - age}.
     *
     * @return how many uploads were (or, with {@code dryRun}, would be) removed
     */
    public int purge(Duration age, boolean dryRun) throws IOException {
        Instant cutoff = clock.instant().minus(age);
        int purged = 0;
        for (String name : RepositoryWalker.allRepositories(driver)) {
            purged += purgeRepository(name, cutoff, dryRun);
        }
        return purged;
    }

    private int purgeRepository(String name, Instant cutoff, boolean dryRun) throws IOException {
        int purged = 0;
        java.util.List<String> uploads;
        try {
            uploads = driver.list(PathLayout.uploads(name));
        } catch (PathNotFoundException e) {
            return 0;
        }
        for (String path : uploads) {
            String uuid = path.substring(path.lastIndexOf('/') + 1);
            Instant started;
            try {
                started = startedAt(name, uuid);
            } catch (RegistryException | IOException unreadable) {
                started = driver.stat(path).modified();
            }
            if (started.isBefore(cutoff)) {
                ReentrantLock lock = lock(name, uuid);
                if (!lock.tryLock()) {
                    continue; // a chunk is arriving right now: not abandoned
                }
                try {
                    // re-check under the lock: the upload may have finished meanwhile
                    if (driver.list(PathLayout.uploads(name)).contains(path)) {
                        purged += purgeOne(name, uuid, path, started, dryRun);
                    }
                } catch (PathNotFoundException gone) {
                    // the repository's uploads are all gone
                } finally {
                    lock.unlock();
                }
            }
        }
        return purged;
    }

    /** Removes one abandoned upload (or only logs it, in a dry run); the caller holds its lock. */
    private int purgeOne(String name, String uuid, String path, Instant started, boolean dryRun) throws IOException {
        if (dryRun) {
            log.info("upload purge (dry run) would remove {}/{} started {}", name, uuid, started);
            return 1;
        }
        log.info("upload purge removes {}/{} started {}", name, uuid, started);
        try {
            driver.delete(path);
        } catch (PathNotFoundException gone) {
            // finished or cancelled meanwhile
        }
        states.invalidate(key(name, uuid));
        return 1;
    }

    /**
     * Writes one chunk and hashes it, and saves the hash state after it for the replica that
     * takes the next chunk (while the writer makes the chunk durable).
     *
     * @param unverified whether the caller has not checked that the upload exists (it knew the
     *                   upload from the chunk before): it is checked here if the stored size is not
     *                   the one this replica left
     */
    private UploadState appendLocked(String name, String uuid, ReadableByteChannel body, ChunkRange range,
                                     boolean unverified) throws IOException {
        String data = PathLayout.uploadData(name, uuid);
        UploadState state;
        boolean ok = false;
        Future<?> savingState = null;
        byte[] saved = null;
        StorageWriter appended;
        // with the offset the client declared, an object store may skip looking the upload up first
        try (StorageWriter writer = range.start() >= 0 ? driver.writerAt(data, range.start()) : driver.writer(data, true)) {
            appended = writer;
            state = writeChunk(writer, name, uuid, body, range, unverified);
            if (state.offset > 0) {
                // Not synced on a filesystem: after a crash a missing state only means hashing the
                // stored bytes again. A state saved for a chunk that then fails is harmless where the
                // backend tags content: there it is read only if no tagged state exists for that
                // offset (see rebuild), and each chunk that ends there leaves one for its own bytes.
                byte[] bytes = Sha256States.save(state.digest);
                saved = bytes;
                String path = PathLayout.uploadHashState(name, uuid, "sha256", state.offset);
                savingState = STATE_SAVERS.submit(() -> {
                    driver.putVolatileContent(path, bytes);
                    return null;
                });
            }
            ok = true;
        } catch (ConcurrentWriteException e) {
            if (unverified) {
                refuseIfGone(name, uuid, savingState);
            }
            throw concurrentWrite(name, uuid, e);
        } finally {
            if (savingState != null) {
                Futures.awaitUninterruptibly(savingState);
            }
            if (!ok) {
                // The stored bytes and the in-memory hash may now disagree: hash the file again next time.
                states.invalidate(key(name, uuid));
            }
        }
        if (savingState != null && savingState.state() == Future.State.FAILED) {
            throw asIOException("saving the hash state of upload " + uuid, savingState.exceptionNow());
        }
        // Only now is it known which bytes this chunk left (on S3, its part's ETag): the state
        // saved under that tag is the one a replica continuing from these bytes reads.
        state.tag = appended.contentTag();
        if (saved != null && state.tag != null) {
            try {
                driver.putVolatileContent(PathLayout.uploadTaggedHashState(name, uuid, "sha256", state.offset, state.tag), saved);
            } catch (IOException | RuntimeException e) {
                states.invalidate(key(name, uuid));
                throw e;
            }
        }
        return state;
    }

    /**
     * Writes one chunk to the open {@code writer} and hashes it: the state after it, which is
     * this replica's cached state. On a failure other than a wrong range the cached state is
     * dropped, as the stored bytes and the hash may disagree.
     */
    private UploadState writeChunk(StorageWriter writer, String name, String uuid, ReadableByteChannel body,
                                   ChunkRange range, boolean unverified) throws IOException {
        boolean ok = false;
        try {
            UploadState cached = states.getIfPresent(key(name, uuid));
            boolean current = describes(cached, writer);
            if (unverified && !current) {
                requireStarted(name, uuid, writer);
            }
            // Someone else (another replica, or a failed chunk) may have changed the data: resync.
            UploadState state = current ? cached : rebuild(name, uuid, writer.size(), writer.contentTag());
            if (range.start() >= 0 && range.start() != state.offset) {
                ok = true;
                throw new UploadRangeException("chunk starts at " + range.start() + " but the upload holds " + state.offset + " bytes", state.offset);
            }
            if (range.length() > 0) {
                writer.expect(range.length());
            }
            state.offset += copyBody(body, writer, state.digest, range);
            ok = true;
            return state;
        } finally {
            if (!ok) {
                states.invalidate(key(name, uuid));
            }
        }
    }

    /** Whether {@code state} is for exactly the bytes {@code writer} found. */
    private static boolean describes(UploadState state, StorageWriter writer) {
        if (state == null || state.offset != writer.size()) {
            return false;
        }
        String tag = writer.contentTag();
        return tag == null || state.offset == 0 || tag.equals(state.tag);
    }

    /** The hash state of the bytes {@code writer} found: this replica's if it describes them, else rebuilt. */
    private UploadState stateOf(String name, String uuid, StorageWriter writer) throws IOException {
        UploadState cached = states.getIfPresent(key(name, uuid));
        return describes(cached, writer) ? cached : rebuild(name, uuid, writer.size(), writer.contentTag());
    }

    /**
     * Another writer is appending to the upload, or did since this one opened it: a client sent two
     * requests for one upload at once, to two replicas. The client learns the upload's size.
     */
    private UploadRangeException concurrentWrite(String name, String uuid, ConcurrentWriteException e) {
        states.invalidate(key(name, uuid));
        log.warn("upload {}/{}: another request is writing to it at the same time", name, uuid);
        return new UploadRangeException("another request is writing to this upload", e.size());
    }

    /**
     * Throws {@code BLOB_UPLOAD_UNKNOWN} if the upload was cancelled or finished elsewhere (a
     * writer that trusted this replica's record of it learns so only at its close), after
     * removing the hash state this chunk saved for it.
     */
    private void refuseIfGone(String name, String uuid, Future<?> savingState) throws IOException {
        if (savingState != null) {
            Futures.awaitUninterruptibly(savingState);
        }
        try {
            startedAt(name, uuid);
        } catch (RegistryException unknown) {
            cancelLocked(name, uuid);
            throw unknown;
        }
    }

    /**
     * Throws {@code BLOB_UPLOAD_UNKNOWN} if the upload was cancelled or finished elsewhere, after
     * removing what opening {@code writer} may have created for it.
     */
    private void requireStarted(String name, String uuid, StorageWriter writer) throws IOException {
        try {
            startedAt(name, uuid);
        } catch (RegistryException unknown) {
            writer.cancel();
            cancelLocked(name, uuid);
            throw unknown;
        }
    }

    private static IOException asIOException(String what, Throwable failure) {
        if (failure instanceof IOException io) {
            return io;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new IOException(what + " failed", failure);
    }

    /**
     * Hashes and writes the whole body, which must have the declared length if there is one.
     *
     * @return the number of bytes written
     */
    private static long copyBody(ReadableByteChannel body, StorageWriter writer, MessageDigest digest, ChunkRange range)
            throws IOException {
        long written = body instanceof ChunkSource chunks
                ? copyChunks(chunks, writer, digest, range)
                : copyBuffered(body, writer, digest, range);
        if (range.length() >= 0 && written != range.length()) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, "chunk has " + written + " bytes but declared " + range.length());
        }
        return written;
    }

    private static RegistryException digestMismatch(Digest expected, Digest actual) {
        return new RegistryException(ErrorCode.DIGEST_INVALID, "digest did not match uploaded content",
                java.util.Map.of("expected", expected.toString(), "actual", actual.toString()));
    }

    /**
     * Hashes and writes the body's own buffers, a batch per gathering write: no copy on the way to
     * the file. A large batch is hashed on another thread while this one writes it, so a big
     * upload goes at the speed of the slower of the two rather than of both in turn.
     */
    private static long copyChunks(ChunkSource body, StorageWriter writer, MessageDigest digest, ChunkRange range)
            throws IOException {
        long written = 0;
        ByteBuffer[] batch;
        while ((batch = body.nextChunks(BATCH_BYTES)) != null) {
            long size = 0;
            for (ByteBuffer buffer : batch) {
                size += buffer.remaining();
            }
            if (range.length() >= 0 && written + size > range.length()) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "chunk is longer than its declared length " + range.length());
            }
            // views taken before the write, which moves the buffers' positions
            ByteBuffer[] hashed = new ByteBuffer[batch.length];
            for (int i = 0; i < batch.length; i++) {
                hashed[i] = batch[i].duplicate();
            }
            if (size < PARALLEL_HASH_BYTES) {
                hash(digest, hashed);
                writer.writeAll(batch);
            } else {
                Future<?> hashing = HASHERS.submit(() -> hash(digest, hashed));
                try {
                    writer.writeAll(batch);
                } finally {
                    Futures.awaitUninterruptibly(hashing); // the buffers are only lent until the next batch
                }
                if (hashing.state() == Future.State.FAILED) {
                    throw new IllegalStateException("hashing an upload failed", hashing.exceptionNow());
                }
            }
            written += size;
        }
        return written;
    }

    private static void hash(MessageDigest digest, ByteBuffer[] buffers) {
        for (ByteBuffer buffer : buffers) {
            digest.update(buffer);
        }
    }

    private static long copyBuffered(ReadableByteChannel body, StorageWriter writer, MessageDigest digest, ChunkRange range)
            throws IOException {
        long written = 0;
        ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
        int n;
        while ((n = body.read(buffer)) >= 0) {
            if (n == 0 && buffer.position() == 0) {
                continue;
            }
            buffer.flip();
            if (range.length() >= 0 && written + buffer.remaining() > range.length()) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "chunk is longer than its declared length " + range.length());
            }
            digest.update(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            written += buffer.remaining();
            while (buffer.hasRemaining()) {
                writer.write(buffer);
            }
            buffer.clear();
        }
        return written;
    }

    private void cancelLocked(String name, String uuid) throws IOException {
        states.invalidate(key(name, uuid));
        try {
            driver.delete(PathLayout.uploadDirectory(name, uuid));
        } catch (PathNotFoundException gone) {
            // already removed
        }
    }

    /**
     * The hash state of the upload's {@code size} stored bytes, which {@code tag} names where the
     * backend tags content: the state saved under that tag; else the one saved at that offset by
     * registry:2's rule, unless a state tagged for other bytes at that offset shows that two
     * writers took it (then only the bytes themselves can tell); else by hashing the stored bytes.
     */
    private UploadState rebuild(String name, String uuid, long size, String tag) throws IOException {
        if (size == 0) {
            UploadState empty = new UploadState(Sha256States.newDigest(), 0);
            states.put(key(name, uuid), empty);
            return empty;
        }
        boolean untaggedUsable = true;
        if (tag != null) {
            UploadState tagged = restore(name, uuid, PathLayout.uploadTaggedHashState(name, uuid, "sha256", size, tag), size, tag);
            if (tagged != null) {
                return tagged;
            }
            untaggedUsable = !hasTaggedStates(name, uuid, size);
        }
        if (untaggedUsable) {
            UploadState untagged = restore(name, uuid, PathLayout.uploadHashState(name, uuid, "sha256", size), size, tag);
            if (untagged != null) {
                return untagged;
            }
        } else {
            log.warn("upload {}/{}: two writers appended at offset {}; hashing the stored bytes", name, uuid, size);
        }
        UploadState state = hashStored(name, uuid, "sha256");
        state.tag = tag;
        if (state.offset != size) {
            // an object store cannot read back an unfinished upload: without its hash state, give up
            states.invalidate(key(name, uuid));
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "upload cannot be resumed: " + size + " bytes stored but " + state.offset + " readable");
        }
        states.put(key(name, uuid), state);
        return state;
    }

    /** The state saved at {@code path} if it is for {@code size} bytes, cached as this upload's; else {@code null}. */
    private UploadState restore(String name, String uuid, String path, long size, String tag) throws IOException {
        try {
            byte[] saved = driver.getContent(path);
            if (Sha256States.length(saved) == size) {
                UploadState state = new UploadState(Sha256States.restore(saved), size);
                state.tag = tag;
                states.put(key(name, uuid), state);
                return state;
            }
            log.warn("upload {}/{}: the hash state saved at offset {} is for {} bytes; not using it",
                    name, uuid, size, Sha256States.length(saved));
        } catch (PathNotFoundException | IllegalArgumentException unusable) {
            // none saved at this size (or not ours to read)
        }
        return null;
    }

    private boolean hasTaggedStates(String name, String uuid, long size) throws IOException {
        try {
            return !driver.list(PathLayout.uploadTaggedHashStates(name, uuid, "sha256", size)).isEmpty();
        } catch (PathNotFoundException none) {
            return false;
        }
    }

    /** Hashes the upload's stored bytes from the start. */
    private UploadState hashStored(String name, String uuid, String algorithm) throws IOException {
        MessageDigest digest = algorithm.equals("sha256") ? Sha256States.newDigest() : Digest.newMessageDigest(algorithm);
        long size = 0;
        try (ReadableByteChannel in = driver.reader(PathLayout.uploadData(name, uuid), 0)) {
            ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer.array(), 0, buffer.position());
                size += n;
                buffer.clear();
            }
        } catch (PathNotFoundException noChunkYet) {
            // an upload that has received nothing yet
        }
        return new UploadState(digest, size);
    }

    /**
     * Bytes the upload holds, as a resumed writer counts them: {@code stat} cannot be trusted for
     * an unfinished write (an object store shows none of it, or an older committed object that the
     * write continues).
     */
    private long storedSize(String name, String uuid) throws IOException {
        try (StorageWriter writer = driver.writer(PathLayout.uploadData(name, uuid), true)) {
            return writer.size();
        }
    }

    private Instant startedAt(String name, String uuid) throws IOException {
        byte[] content;
        try {
            content = driver.getContent(PathLayout.uploadStartedAt(name, uuid));
        } catch (PathNotFoundException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "blob upload unknown to registry",
                    java.util.Map.of("uuid", uuid));
        }
        try {
            return java.time.OffsetDateTime.parse(new String(content, StandardCharsets.UTF_8).trim()).toInstant();
        } catch (DateTimeParseException e) {
            return driver.stat(PathLayout.uploadStartedAt(name, uuid)).modified();
        }
    }

    private ReentrantLock lock(String name, String uuid) {
        return locks.get(key(name, uuid), k -> new ReentrantLock());
    }

    /** How many upload locks the process holds now (the weakly held ones not yet collected included). */
    long retainedLocks() {
        locks.cleanUp();
        return locks.estimatedSize();
    }

    private static MessageDigest cloneDigest(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("JDK digest not cloneable", e);
        }
    }

    private static String key(String name, String uuid) {
        return name + "@" + uuid;
    }

    /** Upload ids are UUIDs we issued; anything else cannot name an upload (and never a path). */
    static void validateUuid(String uuid) {
        boolean valid = uuid != null && uuid.length() == 36;
        for (int i = 0; valid && i < 36; i++) {
            char c = uuid.charAt(i);
            valid = (i == 8 || i == 13 || i == 18 || i == 23) ? c == '-' : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
        if (!valid) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "blob upload unknown to registry");
        }
    }

    /** Running hash and size of an upload; guarded by the upload's lock. */
    private static final class UploadState {
        final MessageDigest digest;
        long offset;
        /** When the upload started, once this replica has read or written it. */
        Instant startedAt;
        /** The content tag of the stored bytes this state is for; {@code null} where the backend has none. */
        String tag;

        UploadState(MessageDigest digest, long offset) {
            this.digest = digest;
            this.offset = offset;
        }
    }
}

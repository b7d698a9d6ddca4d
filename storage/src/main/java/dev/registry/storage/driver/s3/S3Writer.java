package dev.registry.storage.driver.s3;

import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.StorageWriter;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A write to one key as an S3 multipart upload. Bytes are gathered into one part of
 * {@code chunksize} and uploaded when it is full, so an upload holds at most one part in memory
 * whatever the blob's size. {@link #close()} uploads what is gathered as a (short) part, so the
 * next writer, on any replica, finds everything in the unfinished upload.
 *
 * <p>S3 allows a part below 5 MiB only as the last one. A writer that continues an upload whose
 * last part is short therefore does what registry:2's writer does before appending: it completes
 * that upload (the key then holds everything so far), starts a new one, and makes the object its
 * first parts, with server-side part copies, or, when it is below 5 MiB, by reading it back (at
 * most 5 MiB, less than one part). The same happens when the writer continues a committed object.
 *
 * <p>A writer opened to replace the key's content that is closed with nothing written leaves an
 * empty multipart upload, as registry:2's does: registry:2 continues an upload only if it lists
 * one for the key.
 *
 * <p>A <em>private</em> writer ({@link S3Driver#atomicWriter}) is one nobody continues: its upload
 * is not recorded beside the key, other uploads of the key are left alone, closing it without
 * commit aborts its upload, and cancelling it leaves an object already at the key in place.
 */
final class S3Writer implements StorageWriter {

    private static final Logger log = LoggerFactory.getLogger(S3Writer.class);

    /** An uploaded part. */
    record Part(int number, String etag, long size) {
    }

    private final S3Driver driver;
    private final String path;
    private final String key;
    private final int chunkSize;
    /** Whether a later writer may continue this one's upload (see the class comment). */
    private final boolean resumable;
    /** Opened to replace the key's content, rather than to append to it. */
    private final boolean fresh;
    /** The multipart upload, once there is one. */
    private String uploadId;
    private List<Part> parts;
    /** Bytes of a committed object at the key that this writer continues and has not yet made parts of. */
    private long continued;
    private byte[] buffer;
    private int buffered;
    private long partBytes;
    private boolean prepared;
    private boolean closed;
    /** The part being uploaded while its bytes arrive, after {@link #expect}; {@code null} if none. */
    private ArrivingPart arriving;
    /**
     * For a writer that started from a record of the upload (see {@link #unconfirmedWriter}): the
     * parts {@code ListParts} finds, which must be the recorded ones before any part is sent to
     * completion; {@code null} once they were.
     */
    private CompletableFuture<List<Part>> confirmation;

    S3Writer(S3Driver driver, String path, String key, String uploadId, List<Part> parts, long continued) {
        this(driver, path, key, uploadId, parts, continued, true, false);
    }

    /** A private writer of a new object at {@code key}. */
    static S3Writer privateWriter(S3Driver driver, String path, String key) {
        return new S3Writer(driver, path, key, null, List.of(), 0, false, false);
    }

    /** A resumable writer replacing whatever {@code key} held (the caller removed it). */
    static S3Writer freshWriter(S3Driver driver, String path, String key) {
        return new S3Writer(driver, path, key, null, List.of(), 0, true, true);
    }

    /**
     * A writer continuing {@code uploadId} as this driver recorded it, {@code parts}, before the
     * store has confirmed that nobody changed it since: {@code listed} brings what the store holds.
     * Bytes may arrive and a part's upload may start meanwhile, but no part is released to
     * complete until the store's parts are found to be the recorded ones; if they are not, the
     * writer keeps nothing and fails with {@link ConcurrentWriteException}.
     */
    static S3Writer unconfirmedWriter(S3Driver driver, String path, String key, String uploadId, List<Part> parts,
                                      CompletableFuture<List<Part>> listed) {
        S3Writer writer = new S3Writer(driver, path, key, uploadId, parts, 0);
        writer.confirmation = listed;
        return writer;
    }

    private S3Writer(S3Driver driver, String path, String key, String uploadId, List<Part> parts, long continued,
                     boolean resumable, boolean fresh) {
        this.driver = driver;
        this.resumable = resumable;
        this.fresh = fresh;
        this.path = path;
        this.key = key;
        this.chunkSize = driver.options().chunkSize();
        this.uploadId = uploadId;
        this.parts = new ArrayList<>(parts);
        this.continued = continued;
        this.partBytes = parts.stream().mapToLong(Part::size).sum();
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        ensureOpen();
        int written = source.remaining();
        if (written == 0) {
            return 0;
        }
        prepareToAppend();
        while (source.hasRemaining()) {
            if (buffer == null) {
                buffer = driver.partBuffers().take();
            }
            int take = Math.min(source.remaining(), chunkSize - buffered);
            source.get(buffer, buffered, take);
            buffered += take;
            if (arriving != null) {
                if (buffered > arriving.length) {
                    abandonArriving(); // more than announced: this part is not the one started
                } else {
                    arriving.arrived(buffered);
                }
            }
            if (buffered == chunkSize) {
                if (arriving != null) {
                    finishArriving(); // a full part, whatever follows
                } else {
                    uploadPart();
                }
            }
        }
        return written;
    }

    /**
     * Starts the part's upload now if the announced bytes will make a part by themselves (they
     * begin one and fit in it), so the SDK reads them for their checksum as they arrive rather
     * than after the last one; see {@link ArrivingPart}.
     */
    @Override
    public void expect(long bytes) throws IOException {
        ensureOpen();
        // once prepared, a continued object is parts already or in the buffer (buffered > 0)
        if (arriving != null || bytes <= 0 || bytes > chunkSize || !driver.partsReadBeforeSending()
                || buffered > 0 || prepareChangesTheUpload()) {
            return;
        }
        if (uploadId == null && bytes < S3Options.MIN_PART_SIZE) {
            // may be all there is (a commit then puts one object): no multipart upload before it must be one
            return;
        }
        prepared = true; // nothing to prepare, see prepareChangesTheUpload
        try {
            if (uploadId == null) {
                uploadId = resumable ? driver.createUpload(key) : driver.startUpload(key);
            }
        } catch (SdkException e) {
            throw S3Driver.failure("write", path, e);
        }
        if (buffer == null) {
            buffer = driver.partBuffers().take();
        }
        arriving = ArrivingPart.start(driver, key, uploadId, nextPartNumber(), (int) bytes, buffer);
    }

    /**
     * Waits for the arriving part, which the buffer now holds whole, and records it. If its upload
     * failed, the bytes are still in the buffer and are sent again the usual way, under the same
     * number (S3 keeps the later of two uploads of one part, and both carry these bytes).
     */
    private void finishArriving() throws IOException {
        confirm();
        ArrivingPart part = arriving;
        arriving = null;
        part.finish();
        String etag;
        try {
            etag = part.etag();
        } catch (SdkException e) {
            log.debug("s3: the early upload of part {} of {} failed, sending it again: {}", part.number, path, e.getMessage());
            uploadPart();
            return;
        }
        parts.add(new Part(part.number, etag, part.length));
        partBytes += part.length;
        buffered = 0;
    }

    /**
     * Waits until the store has confirmed the upload this writer started from, if it has not yet.
     * If the upload is no longer as recorded (another writer appended, completed or aborted it),
     * drops everything given to this writer, which sent none of it to completion, and fails.
     */
    private void confirm() throws IOException {
        if (confirmation == null) {
            return;
        }
        List<Part> listed;
        try {
            listed = confirmation.join();
        } catch (CompletionException | CancellationException e) {
            release();
            if (e.getCause() instanceof SdkException sdk) {
                throw S3Driver.failure("continue writing", path, sdk);
            }
            throw new IOException("s3: checking the upload of " + path + " failed", e.getCause());
        }
        confirmation = null;
        if (!sameParts(listed, parts)) {
            release();
            throw new ConcurrentWriteException(path, listed.stream().mapToLong(Part::size).sum());
        }
    }

    /** Whether two lists name the same parts, with ETags compared as S3 means them (see {@link #unquoted}). */
    static boolean sameParts(List<Part> a, List<Part> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Part x = a.get(i);
            Part y = b.get(i);
            if (x.number() != y.number() || x.size() != y.size() || !unquoted(x.etag()).equals(unquoted(y.etag()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@link #prepareToAppend} would complete or copy anything before the first byte. */
    private boolean prepareChangesTheUpload() {
        return !prepared && (continued > 0 || lastPartIsShort());
    }

    /** Whether the upload ends in a part below S3's minimum, which no part may follow. */
    private boolean lastPartIsShort() {
        return endsShort(parts);
    }

    /** Whether {@code parts} end in one below S3's minimum, which no part may follow. */
    static boolean endsShort(List<Part> parts) {
        return !parts.isEmpty() && parts.getLast().size() < S3Options.MIN_PART_SIZE;
    }

    /** Drops the arriving part, which sent nothing; what the buffer holds is uploaded as usual. */
    private void abandonArriving() {
        if (arriving != null) {
            arriving.abandon();
            arriving = null;
        }
    }

    /** Finishes the arriving part if the buffer holds exactly its bytes, else abandons it. */
    private void settleArriving() throws IOException {
        if (arriving != null && buffered == arriving.length) {
            finishArriving();
        } else {
            abandonArriving();
        }
    }

    private int nextPartNumber() {
        return parts.isEmpty() ? 1 : parts.get(parts.size() - 1).number() + 1;
    }

    @Override
    public long size() {
        return continued + partBytes + buffered;
    }

    /**
     * The upload and its parts' ETags: S3 keeps the last of two parts uploaded under one number,
     * and a part's ETag changes with its bytes, so two writers that took the same part leave
     * different tags. {@code null} while the bytes are a committed object being continued (or
     * nothing): registry logic then goes by the size alone.
     */
    @Override
    public String contentTag() {
        if (uploadId == null || continued > 0 || buffered > 0) {
            return null;
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        sha256.update(uploadId.getBytes(StandardCharsets.UTF_8));
        for (Part part : parts) {
            sha256.update(("\n" + part.number() + " " + unquoted(part.etag()) + " " + part.size()).getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha256.digest(), 0, 16);
    }

    /** An ETag as S3 lists it and as it answers an upload: servers differ in quoting it. */
    private static String unquoted(String etag) {
        return etag == null ? "" : etag.replace("\"", "");
    }

    /**
     * Before the first byte: turns a short last part, or a committed object, into parts that
     * others may follow (see the class comment).
     */
    private void prepareToAppend() throws IOException {
        if (prepared) {
            return;
        }
        prepared = true;
        try {
            if (lastPartIsShort()) {
                driver.complete(key, uploadId, parts);
                continued = partBytes;
                uploadId = null;
                parts = new ArrayList<>();
                partBytes = 0;
            }
            if (continued == 0) {
                return;
            }
            if (continued < S3Options.MIN_PART_SIZE) {
                readBackContinued();
            } else {
                uploadId = driver.createUpload(key);
                parts = new ArrayList<>(driver.copyParts(key, key, uploadId,
                        S3Driver.leadingRangeEnds(continued, driver.options().multipartCopyChunkSize())));
                partBytes = continued;
                continued = 0;
            }
        } catch (SdkException e) {
            throw S3Driver.failure("continue writing", path, e);
        }
    }

    /** Takes a committed object below the minimum part into the buffer, as the start of the first part. */
    private void readBackContinued() throws IOException {
        buffer = driver.partBuffers().take();
        int expected = (int) continued;
        try (InputStream in = driver.client().getObject(r -> r.bucket(driver.bucket()).key(key))) {
            int n;
            while (buffered < expected && (n = in.read(buffer, buffered, expected - buffered)) >= 0) {
                buffered += n;
            }
            if (buffered != expected || in.read() >= 0) {
                throw new IOException("s3: " + path + " changed while it was being continued");
            }
        } catch (SdkException e) {
            throw S3Driver.failure("continue writing", path, e);
        }
        continued = 0;
    }

    private void uploadPart() throws IOException {
        confirm();
        try {
            if (uploadId == null) {
                uploadId = resumable ? driver.createUpload(key) : driver.startUpload(key);
            }
            int number = nextPartNumber();
            byte[] bytes = buffer;
            int length = buffered;
            // the SDK may read the body more than once (signing, retries): a fresh stream each time, no copy
            RequestBody body = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes, 0, length),
                    length, "application/octet-stream");
            String etag = driver.client().uploadPart(UploadPartRequest.builder()
                    .bucket(driver.bucket()).key(key).uploadId(uploadId).partNumber(number)
                    .contentLength((long) length).build(), body).eTag();
            parts.add(new Part(number, etag, length));
            partBytes += length;
            buffered = 0;
        } catch (SdkException e) {
            throw S3Driver.failure("write", path, e);
        }
    }

    /**
     * Completes the upload, so the object is at the key. A write that never needed a part (all
     * of it fits in one) is one PutObject instead.
     */
    @Override
    public void commit() throws IOException {
        ensureOpen();
        confirm();
        settleArriving();
        try {
            if (uploadId == null && parts.isEmpty() && continued == 0) {
                driver.client().putObject(driver.put(key).build(),
                        RequestBody.fromByteBuffer(ByteBuffer.wrap(buffer == null ? new byte[0] : buffer, 0, buffered)));
                buffered = 0;
            } else if (continued > 0 && parts.isEmpty() && buffered == 0) {
                // continued a committed object and wrote nothing: it already is the content
                if (uploadId != null) {
                    driver.abort(key, uploadId);
                }
            } else {
                if (buffered > 0) {
                    uploadPart();
                }
                if (parts.isEmpty()) {
                    // an upload was started and nothing was written: S3 completes no upload without a part
                    driver.abort(key, uploadId);
                    driver.client().putObject(driver.put(key).build(), RequestBody.empty());
                } else {
                    driver.complete(key, uploadId, parts);
                }
            }
            if (resumable) {
                driver.forgetUpload(key);
            }
        } catch (SdkException e) {
            throw S3Driver.failure("commit", path, e);
        }
        release();
    }

    /**
     * Aborts the upload and removes an object at the key, so nothing written can be resumed or
     * read; a private writer only aborts its own upload.
     */
    @Override
    public void cancel() throws IOException {
        if (closed) {
            return;
        }
        abandonArriving();
        release();
        try {
            if (uploadId != null) {
                driver.abort(key, uploadId);
            }
            if (resumable) {
                driver.client().deleteObject(r -> r.bucket(driver.bucket()).key(key));
                driver.forgetUpload(key);
            }
        } catch (SdkException e) {
            throw S3Driver.failure("cancel", path, e);
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Uploads what is gathered as a part, so the next writer finds it; a private writer that was
     * not committed aborts its upload instead, as nobody can continue it.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (!resumable) {
            cancel();
            return;
        }
        try {
            if (confirmation != null && buffered == 0) {
                return; // given nothing: nothing to check, and the record is not renewed
            }
            settleArriving();
            if (buffered > 0) {
                uploadPart();
            }
            if (fresh && uploadId == null) {
                uploadId = driver.createUpload(key);
            }
            if (uploadId != null && continued == 0) {
                driver.leftUpload(key, uploadId, parts);
            }
        } catch (SdkException e) {
            throw S3Driver.failure("close", path, e);
        } finally {
            release();
        }
    }

    private void release() {
        abandonArriving(); // after a failure on the way: the buffer must be let go of first
        closed = true;
        // the part requests have all returned: nothing reads the buffer any more
        driver.partBuffers().give(buffer);
        buffer = null;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }
}

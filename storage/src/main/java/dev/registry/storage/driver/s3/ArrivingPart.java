package dev.registry.storage.driver.s3;

import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A part whose {@code UploadPart} starts while its bytes still arrive in the writer's buffer.
 *
 * <p>Before sending a part, the SDK reads it once for its checksum (and, over plain http, for the
 * SHA-256 it signs); only then does it open the connection and send. Started early, that first
 * read follows the bytes as they come in, on its own thread, instead of beginning after the last
 * one. Nothing is sent before the SDK has read the whole part, and the last byte is held back
 * until the writer knows no more will come ({@link #finish()}), so an abandoned part never reaches
 * the store.
 */
final class ArrivingPart {

    final int number;
    final int length;
    private final byte[] bytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    /** Bytes the upload may read so far. */
    private int readable;
    private boolean abandoned;
    private final CompletableFuture<String> etag = new CompletableFuture<>();

    private ArrivingPart(int number, int length, byte[] bytes) {
        this.number = number;
        this.length = length;
        this.bytes = bytes;
    }

    /** Starts uploading {@code length} bytes of {@code bytes} as part {@code number}, as they arrive. */
    static ArrivingPart start(S3Driver driver, String key, String uploadId, int number, int length, byte[] bytes) {
        ArrivingPart part = new ArrivingPart(number, length, bytes);
        UploadPartRequest request = UploadPartRequest.builder()
                .bucket(driver.bucket()).key(key).uploadId(uploadId).partNumber(number)
                .contentLength((long) length).build();
        RequestBody body = RequestBody.fromContentProvider(part::newStream, length, "application/octet-stream");
        Thread.ofVirtual().name("s3-part-" + number).start(() -> {
            try {
                part.etag.complete(driver.client().uploadPart(request, body).eTag());
            } catch (Throwable e) {
                part.etag.completeExceptionally(e);
            }
        });
        return part;
    }

    /** The buffer holds {@code total} bytes of the part; all but the last may be read. */
    void arrived(int total) {
        release(Math.min(total, length - 1));
    }

    /** All the part's bytes are in the buffer and no more will come: the upload may finish. */
    void finish() {
        release(length);
    }

    private void release(int upTo) {
        lock.lock();
        try {
            if (upTo > readable) {
                readable = upTo;
                arrived.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The part's ETag once its upload has returned.
     *
     * @throws SdkException if the upload failed
     */
    String etag() {
        try {
            return awaitUninterruptibly();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SdkException sdk) {
                throw sdk;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("uploading a part failed", e.getCause());
        }
    }

    /**
     * Stops the upload before it sends anything (it cannot have: the last byte was never
     * released) and waits until it has let go of the buffer.
     */
    void abandon() {
        lock.lock();
        try {
            abandoned = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            awaitUninterruptibly();
        } catch (ExecutionException expected) {
            // it failed on the abandoned stream, as it should
        }
    }

    private String awaitUninterruptibly() throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return etag.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A stream over the part that waits for bytes not yet arrived; the SDK opens one per read of the body. */
    private InputStream newStream() {
        return new InputStream() {
            private int position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] target, int offset, int count) {
                if (count == 0) {
                    return 0;
                }
                if (position == length) {
                    return -1;
                }
                int available = awaitBeyond(position);
                int n = Math.min(count, available - position);
                System.arraycopy(bytes, position, target, offset, n);
                position += n;
                return n;
            }
        };
    }

    /** Waits until more than {@code position} bytes may be read, and returns how many may. */
    private int awaitBeyond(int position) {
        lock.lock();
        try {
            while (readable <= position && !abandoned) {
                arrived.awaitUninterruptibly();
            }
            if (abandoned) {
                // not retried by the SDK: nothing of this part is to be sent any more
                throw AbortedException.create("the part's bytes did not all arrive");
            }
            return readable;
        } finally {
            lock.unlock();
        }
    }
}

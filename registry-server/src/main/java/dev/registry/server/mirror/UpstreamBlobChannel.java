package dev.registry.server.mirror;

import dev.registry.storage.BlobIngest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A blob's bytes as they arrive from the upstream, stored while the client reads them: every
 * read also goes to the {@link BlobIngest}, and the read that reaches the announced length first
 * verifies the digest and publishes the blob, and only then hands the client its last bytes, so a
 * client never receives a whole body that does not match its digest.
 *
 * <p>A download that stops receiving is cut by {@link Mirror}'s stall check ({@link #cutStalled}).
 *
 * <p>If the client goes away early while other requests wait for this download, the rest is
 * fetched and stored anyway (on a new virtual thread) so that they get it; otherwise the write is
 * abandoned and nothing is stored.
 */
final class UpstreamBlobChannel implements ReadableByteChannel {
    private static final Logger log = LoggerFactory.getLogger(UpstreamBlobChannel.class);
    private static final int READ_SIZE = 256 * 1024;

    private final UpstreamRegistry.Response upstream;
    private final InputStream in;
    private final BlobIngest ingest;
    private final long size;
    private final BooleanSupplier othersWaiting;
    /** Told once: {@code null} when the blob is stored, the failure otherwise. */
    private final Consumer<Throwable> done;
    private final byte[] buffer = new byte[READ_SIZE];
    private long received;
    /** {@link System#nanoTime()} of the last bytes from the upstream, for the stall check. */
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean finished;
    private boolean open = true;

    UpstreamBlobChannel(UpstreamRegistry.Response upstream, BlobIngest ingest, long size, BooleanSupplier othersWaiting,
                        Consumer<Throwable> done) {
        this.upstream = upstream;
        this.in = upstream.body();
        this.ingest = ingest;
        this.size = size;
        this.othersWaiting = othersWaiting;
        this.done = done;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) {
            throw new java.nio.channels.ClosedChannelException();
        }
        if (received == size) {
            return -1;
        }
        int want = (int) Math.min(Math.min(dst.remaining(), buffer.length), size - received);
        if (want == 0) {
            return 0;
        }
        int n = transfer(want);
        dst.put(buffer, 0, n);
        return n;
    }

    /** Reads up to {@code want} bytes upstream into {@link #buffer}, stores them, and completes the ingest at the end. */
    private int transfer(int want) throws IOException {
        try {
            int n = in.read(buffer, 0, want);
            lastProgress = System.nanoTime();
            if (n < 0) {
                throw new EOFException("the upstream blob " + ingest.digest() + " ended after " + received + " of " + size + " bytes");
            }
            ingest.write(ByteBuffer.wrap(buffer, 0, n));
            received += n;
            if (received == size) {
                ingest.complete();
                finish(null);
            }
            return n;
        } catch (IOException | RuntimeException e) {
            fail(e);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    private void fail(Throwable e) {
        ingest.abort();
        finish(e);
    }

    private void finish(Throwable failure) {
        if (!finished) {
            finished = true;
            upstream.close();
            done.accept(failure);
        }
    }

    /** Whether the download is still running and has received nothing for {@code limitNanos}. */
    boolean stalled(long nowNanos, long limitNanos) {
        return !finished && nowNanos - lastProgress > limitNanos;
    }

    /**
     * Cuts a stalled download: closing the upstream body makes the blocked read fail, which
     * abandons the write (nothing is stored) and frees the requests waiting for it. The JDK's
     * HTTP client has no timeout for a body that stops arriving, hence this.
     */
    void cutStalled() {
        log.warn("proxy: blob {} received nothing from the upstream for too long after {} of {} bytes; abandoning it",
                ingest.digest(), received, size);
        upstream.close();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        if (finished) {
            return;
        }
        if (othersWaiting.getAsBoolean()) {
            Thread.ofVirtual().name("mirror-finish-" + ingest.digest().hex().substring(0, 12)).start(this::drain);
        } else {
            fail(new IOException("the client stopped reading blob " + ingest.digest() + " after " + received + " bytes"));
        }
    }

    /** Fetches and stores the rest for the requests that wait for it, after the first client left. */
    private void drain() {
        try {
            while (!finished) {
                transfer((int) Math.min(buffer.length, size - received));
            }
        } catch (IOException e) {
            log.debug("proxy: finishing blob {} for waiting requests failed: {}", ingest.digest(), e.toString());
        }
    }
}

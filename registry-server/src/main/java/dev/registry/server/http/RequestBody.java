package dev.registry.server.http;

import dev.registry.storage.ChunkSource;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request body as a blocking channel: the event loop offers the body's chunks as they arrive
 * and a worker thread reads them. At most {@link #HIGH_WATER} bytes wait in memory; beyond that
 * the connection stops reading from the socket until the worker catches up, so memory does not
 * grow with the size of an upload.
 */
public final class RequestBody implements ChunkSource {
    static final long HIGH_WATER = 4L * 1024 * 1024;
    static final long LOW_WATER = 1024 * 1024;
    /**
     * A waiting worker is woken once this much is queued (or the body ended), not at every socket
     * read (64 KiB or less): a large upload then costs a thread wake-up, a hash hand-off and a
     * write per half MiB instead of per read. Below {@link #HIGH_WATER}, so the connection keeps
     * reading (and an HTTP/2 stream keeps its window open) until the worker is woken.
     */
    static final long WAKE_BYTES = 512 * 1024;
    private static final long IDLE_TIMEOUT_SECONDS = 300;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
    /** Buffers lent out by {@link #nextChunks}, released at the next call or on discard. */
    private final List<ByteBuf> lent = new ArrayList<>();
    private final FlowControl flowControl;
    private long pending;
    private long received;
    private boolean ended;
    private boolean failed;
    private boolean discarding;
    private boolean paused;
    /** Why the body cannot be read to its end, once {@code failed}. */
    private String failure = "client closed the connection before the request body ended";

    /**
     * Tells the connection that {@link #wantsPause()} may have changed. The connection re-reads
     * the current value rather than trusting the order of notifications, which come from two
     * threads.
     */
    public interface FlowControl {
        void changed();
    }

    public RequestBody(FlowControl flowControl) {
        this.flowControl = flowControl;
    }

    /** Called on the event loop with each chunk of the body, in order. */
    void offer(HttpContent content) {
        boolean pause = false;
        lock.lock();
        try {
            ByteBuf buf = content.content();
            if (discarding || failed) {
                // nobody will read it
            } else if (buf.isReadable()) {
                chunks.add(buf.retain());
                pending += buf.readableBytes();
                received += buf.readableBytes();
                if (pending > HIGH_WATER && !paused) {
                    paused = true;
                    pause = true;
                }
            }
            if (content instanceof LastHttpContent) {
                ended = true;
            }
            if (pending >= WAKE_BYTES || ended || discarding || failed) {
                available.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (pause) {
            flowControl.changed();
        }
    }

    /** Whether the connection should stop reading until the worker catches up. */
    boolean wantsPause() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** The connection closed before the body ended. */
    void fail() {
        fail(null);
    }

    /** The body cannot be read to its end, for {@code reason} (or, when null, because the connection closed). */
    void fail(String reason) {
        lock.lock();
        try {
            if (reason != null && !failed) {
                failure = reason;
            }
            failed = true;
            releaseAll();
            available.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the whole body has arrived (it may not all have been read). */
    public boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received from the client so far. */
    public long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(ByteBuffer destination) throws IOException {
        boolean resume = false;
        int copied = 0;
        lock.lock();
        try {
            releaseLent();
            awaitChunk();
            while (destination.hasRemaining() && !chunks.isEmpty()) {
                ByteBuf head = chunks.peek();
                int n = Math.min(destination.remaining(), head.readableBytes());
                int limit = destination.limit();
                destination.limit(destination.position() + n);
                head.readBytes(destination);
                destination.limit(limit);
                copied += n;
                if (!head.isReadable()) {
                    chunks.poll().release();
                }
            }
            resume = consumed(copied);
            if (copied == 0 && chunks.isEmpty() && ended) {
                return -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the request body", e);
        } finally {
            lock.unlock();
        }
        if (resume) {
            flowControl.changed();
        }
        return copied;
    }

    @Override
    public ByteBuffer[] nextChunks(int maxBytes) throws IOException {
        boolean resume = false;
        List<ByteBuffer> buffers = new ArrayList<>();
        lock.lock();
        try {
            releaseLent();
            awaitChunk();
            long taken = 0;
            while (taken < maxBytes && !chunks.isEmpty()) {
                ByteBuf head = chunks.poll();
                lent.add(head);
                taken += head.readableBytes();
                if (head.nioBufferCount() == 1) {
                    buffers.add(head.nioBuffer());
                } else {
                    buffers.addAll(List.of(head.nioBuffers()));
                }
            }
            resume = consumed(taken);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the request body", e);
        } finally {
            lock.unlock();
        }
        if (resume) {
            flowControl.changed();
        }
        return buffers.isEmpty() ? null : buffers.toArray(ByteBuffer[]::new);
    }

    /**
     * Accounts for {@code bytes} taken by the worker; the caller holds the lock.
     *
     * @return whether the connection may read again (notify {@link FlowControl} outside the lock)
     */
    private boolean consumed(long bytes) {
        pending -= bytes;
        if (paused && pending < LOW_WATER) {
            paused = false;
            return true;
        }
        return false;
    }

    /**
     * Returns at once if anything is queued; otherwise waits until {@link #WAKE_BYTES} are queued
     * or the body ended, so that a worker faster than the network takes half a MiB per wake-up
     * rather than each socket read. The caller holds the lock. The body has stalled only when
     * nothing arrived for the whole idle timeout: a client that trickles keeps it alive even if it
     * takes longer than that to fill a batch.
     */
    private void awaitChunk() throws IOException, InterruptedException {
        if (chunks.isEmpty()) {
            long receivedBefore = received;
            while (pending < WAKE_BYTES && !ended && !failed && !discarding) {
                if (!available.await(IDLE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    if (received != receivedBefore) {
                        receivedBefore = received;
                        continue;
                    }
                    if (!chunks.isEmpty()) {
                        break; // serve what trickled in before the stall rather than fail with data in hand
                    }
                    failed = true;
                    throw new IOException("request body stalled for " + IDLE_TIMEOUT_SECONDS + "s");
                }
            }
        }
        if (failed) {
            throw new IOException(failure);
        }
        if (discarding) {
            throw new ClosedChannelException();
        }
    }

    private void releaseLent() {
        for (ByteBuf buf : lent) {
            buf.release();
        }
        lent.clear();
    }

    /** Reads the whole body into memory, refusing more than {@code limit} bytes. */
    public byte[] readAll(int limit) throws IOException, BodyTooLargeException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int n;
        while ((n = read(buffer)) >= 0) {
            if (out.size() + n > limit) {
                throw new BodyTooLargeException();
            }
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toByteArray();
    }

    /** The body exceeded what the endpoint accepts. */
    public static final class BodyTooLargeException extends Exception {
        public BodyTooLargeException() {
            super("request body too large", null, false, false);
        }
    }

    /**
     * Drops whatever the handler did not read; later chunks are dropped as they arrive. Called
     * once the handler has returned, so the buffers it borrowed are released too.
     */
    void discard() {
        boolean resume;
        lock.lock();
        try {
            discarding = true;
            releaseLent();
            releaseAll();
            resume = paused;
            paused = false;
            available.signalAll();
        } finally {
            lock.unlock();
        }
        if (resume) {
            flowControl.changed();
        }
    }

    /** Releases the queued chunks; lent ones may still be in use by the worker (see {@link #discard()}). */
    private void releaseAll() {
        ByteBuf buf;
        while ((buf = chunks.poll()) != null) {
            buf.release();
        }
        pending = 0;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // the body's lifetime is the request's; the connection handler discards what is left
    }
}

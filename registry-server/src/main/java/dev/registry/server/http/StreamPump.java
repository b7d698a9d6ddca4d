package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends a response body that comes from a blocking channel (an object-store or in-memory blob,
 * not a local file) from a worker thread: every read that may block on the network or a lock
 * happens there, never on the event loop, as {@code ChunkedNioStream} would do it.
 *
 * <p>Backpressure: after a chunk that leaves the connection unwritable, the worker waits until
 * that chunk is flushed, so at most the channel's high-water mark plus one chunk is buffered,
 * whatever the blob's size.
 *
 * <p>When the connection sends no byte for {@link #STALL_LIMIT} while a chunk waits (a zero TCP
 * window, or an HTTP/2 window never opened again), the response is abandoned: the connection is
 * closed (on HTTP/2, the stream reset). Otherwise its worker would wait for ever, holding the
 * blob's reader (on S3, a connection of the client pool) for as long as the client keeps the
 * connection open. A client that reads slowly but steadily is not affected.
 */
final class StreamPump {
    /** How long a connection may send no bytes at all while a chunk waits before the response is abandoned. */
    static final Duration STALL_LIMIT = Duration.ofSeconds(60);
    /** How often a waiting worker looks whether the client took any bytes. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final ChannelHandlerContext ctx;
    private final ReadableByteChannel source;
    private final long length;
    private final int chunkSize;
    private final long stallLimitNanos;
    private final ChannelPromise done;

    private StreamPump(ChannelHandlerContext ctx, ReadableByteChannel source, long length, int chunkSize, Duration stallLimit) {
        this.ctx = ctx;
        this.source = source;
        this.length = length;
        this.chunkSize = chunkSize;
        this.stallLimitNanos = stallLimit.toNanos();
        this.done = ctx.newPromise();
    }

    /**
     * Starts copying {@code length} bytes of {@code source} to the connection, then the last
     * content, on {@code workers}; the returned future completes when the last content is written,
     * or fails when reading or writing does. {@code source} is closed in either case.
     */
    static ChannelFuture start(ChannelHandlerContext ctx, ReadableByteChannel source, long length, int chunkSize,
                               Executor workers) {
        return start(ctx, source, length, chunkSize, workers, STALL_LIMIT);
    }

    /** As {@link #start(ChannelHandlerContext, ReadableByteChannel, long, int, Executor)}, with another stall limit. */
    static ChannelFuture start(ChannelHandlerContext ctx, ReadableByteChannel source, long length, int chunkSize,
                               Executor workers, Duration stallLimit) {
        StreamPump pump = new StreamPump(ctx, source, length, chunkSize, stallLimit);
        try {
            workers.execute(pump::run);
        } catch (RejectedExecutionException e) {
            closeQuietly(source);
            pump.done.setFailure(e);
        }
        return pump.done;
    }

    private void run() {
        try (ReadableByteChannel in = source) {
            long remaining = length;
            while (remaining > 0) {
                if (!ctx.channel().isActive()) {
                    throw new IOException("connection closed while sending the body");
                }
                int size = (int) Math.min(chunkSize, remaining);
                ByteBuf chunk = ctx.alloc().buffer(size);
                try {
                    fill(in, chunk, size);
                } catch (Throwable e) {
                    chunk.release();
                    throw e;
                }
                remaining -= size;
                ChannelFuture written = ctx.writeAndFlush(new DefaultHttpContent(chunk));
                if (!ctx.channel().isWritable()) {
                    awaitFlushed(written);
                }
                if (written.isDone() && !written.isSuccess()) {
                    throw new IOException("sending the body failed", written.cause());
                }
            }
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
                if (f.isSuccess()) {
                    done.trySuccess();
                } else {
                    done.tryFailure(f.cause());
                }
            });
        } catch (Throwable e) {
            // an Error too (say OutOfDirectMemoryError): the response must still end, or the
            // connection would hang with its request counted as in flight
            done.tryFailure(e);
        }
    }

    /**
     * Waits until {@code written} is flushed, as long as the connection keeps sending bytes. Parks
     * on a {@link CompletableFuture} rather than Netty's monitor-based wait, which would pin a
     * virtual thread's carrier on Java 21.
     */
    private void awaitFlushed(ChannelFuture written) throws IOException {
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        written.addListener(f -> flushed.complete(null));
        // no snapshot before the first poll: a chunk that flushes within it costs no trip to the event loop
        OutputState last = null;
        long progressAt = System.nanoTime();
        while (true) {
            try {
                flushed.get(POLL_NANOS, TimeUnit.NANOSECONDS);
                return;
            } catch (TimeoutException notYet) {
                long now = System.nanoTime();
                OutputState state = outputState();
                if (!state.equals(last)) {
                    last = state;
                    progressAt = now;
                } else if (now - progressAt >= stallLimitNanos) {
                    ctx.close();
                    throw new IOException("the client took no bytes for " + Duration.ofNanos(stallLimitNanos).toSeconds()
                            + " s; closed its connection");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.close();
                throw new IOException("interrupted while sending the body", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a listener's future does not fail", e);
            }
        }
    }

    /**
     * What the connection's outbound buffer holds and how far its first message got: it changes
     * with every byte the socket takes, also in the middle of a message, as Netty's
     * {@code IdleStateHandler} watches output. On HTTP/2 it is the connection's, shared by its
     * streams. Read on the event loop, which owns the buffer.
     */
    private OutputState outputState() throws IOException {
        Channel connection = ctx.channel() instanceof Http2StreamChannel stream ? stream.parent() : ctx.channel();
        try {
            return CompletableFuture.supplyAsync(() -> {
                ChannelOutboundBuffer buffer = connection.unsafe().outboundBuffer();
                return buffer == null ? OutputState.CLOSED
                        : new OutputState(System.identityHashCode(buffer.current()), buffer.currentProgress(),
                        buffer.totalPendingWriteBytes());
            }, ctx.executor()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending the body", e);
        } catch (ExecutionException | RejectedExecutionException e) {
            throw new IOException("the connection is gone", e);
        }
    }

    /** A snapshot of a connection's outbound buffer (see {@link #outputState()}). */
    private record OutputState(int current, long progress, long pending) {
        static final OutputState CLOSED = new OutputState(0, -1, -1);
    }

    private static void fill(ReadableByteChannel in, ByteBuf chunk, int size) throws IOException {
        while (chunk.writerIndex() < size) {
            int n = in.read(chunk.nioBuffer(chunk.writerIndex(), size - chunk.writerIndex()));
            if (n > 0) {
                chunk.writerIndex(chunk.writerIndex() + n);
            } else if (n < 0) {
                throw new EOFException("the stored object ended " + (size - chunk.writerIndex())
                        + " bytes short of the length sent in Content-Length");
            }
        }
    }

    private static void closeQuietly(ReadableByteChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was sent from it
        }
    }
}

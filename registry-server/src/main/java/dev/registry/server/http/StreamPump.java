package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Sends a response body that comes from a blocking channel (an object-store or in-memory blob,
 * not a local file) from a worker thread: every read that may block on the network or a lock
 * happens there, never on the event loop, as {@code ChunkedNioStream} would do it.
 *
 * <p>Backpressure: after a chunk that leaves the connection unwritable, the worker waits until
 * that chunk is flushed, so at most the channel's high-water mark plus one chunk is buffered,
 * whatever the blob's size.
 */
final class StreamPump {
    private final ChannelHandlerContext ctx;
    private final ReadableByteChannel source;
    private final long length;
    private final int chunkSize;
    private final ChannelPromise done;

    private StreamPump(ChannelHandlerContext ctx, ReadableByteChannel source, long length, int chunkSize) {
        this.ctx = ctx;
        this.source = source;
        this.length = length;
        this.chunkSize = chunkSize;
        this.done = ctx.newPromise();
    }

    /**
     * Starts copying {@code length} bytes of {@code source} to the connection, then the last
     * content, on {@code workers}; the returned future completes when the last content is written,
     * or fails when reading or writing does. {@code source} is closed in either case.
     */
    static ChannelFuture start(ChannelHandlerContext ctx, ReadableByteChannel source, long length, int chunkSize,
                               Executor workers) {
        StreamPump pump = new StreamPump(ctx, source, length, chunkSize);
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
                } catch (IOException | RuntimeException e) {
                    chunk.release();
                    throw e;
                }
                remaining -= size;
                ChannelFuture written = ctx.writeAndFlush(new DefaultHttpContent(chunk));
                if (!ctx.channel().isWritable()) {
                    written.awaitUninterruptibly();
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
        } catch (IOException | RuntimeException e) {
            done.tryFailure(e);
        }
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

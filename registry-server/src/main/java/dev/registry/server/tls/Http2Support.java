package dev.registry.server.tls;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Serves HTTP/2 on a connection by turning every stream into a child channel that carries
 * ordinary HTTP/1.1-style objects, so the existing request handler runs unchanged per stream.
 *
 * <p>Per stream the pipeline is: {@code h2-stream-codec} ({@link Http2StreamFrameToHttpObjectCodec}:
 * frames in, {@code HttpRequest}/{@code HttpContent}/{@code LastHttpContent} out, and back), then
 * {@code h2-stream-1xx} (keeps {@code 100 Continue} valid for HTTP/2), {@code h2-stream-chunked}
 * ({@link ChunkedWriteHandler}, for {@code HttpChunkedInput} bodies), then
 * whatever the caller adds. The {@code :authority} pseudo-header arrives as {@code Host}.
 * Responses must not be {@code FileRegion}s: stream channels only carry frames (and TLS cannot
 * send files zero-copy anyway), see {@link #isEncrypted(Channel)}.
 */
public final class Http2Support {
    /** Streams one client may have open at once; Go's HTTP/2 server uses the same number. */
    static final int MAX_CONCURRENT_STREAMS = 250;
    /**
     * Per-stream receive window. The 64 KiB protocol default caps a blob upload at one window per
     * round trip. 4 MiB lets a push keep going while the server's WINDOW_UPDATE waits for a busy
     * event loop: on a loaded 2-core machine curl's HTTP/2 pushes went from a median of 146 MiB/s
     * with 1 MiB to 172 MiB/s (docs/benchmark.md, TLS). The frame codec raises the connection
     * window to about twice this, so one connection buffers at most about 8 MiB of request bodies
     * however many streams it opens.
     */
    static final int INITIAL_WINDOW_SIZE = 4 * 1024 * 1024;
    /** Same header budget as the HTTP/1.1 codec: bearer tokens in Authorization can be large. */
    static final long MAX_HEADER_LIST_SIZE = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(Http2Support.class);

    private Http2Support() {
    }

    /**
     * Adds HTTP/2 handling to a connection's pipeline: after TLS and ALPN chose {@code h2}, or on a
     * plain connection that opened with HTTP/2's preface ({@code http.h2c.enabled}).
     *
     * @param pipeline the connection's pipeline
     * @param streamHandlers adds the request handlers to each new stream's pipeline, after the
     *                       codec and chunked writer; called once per stream on its event loop
     */
    public static void configure(ChannelPipeline pipeline, Consumer<ChannelPipeline> streamHandlers) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                .initialWindowSize(INITIAL_WINDOW_SIZE)
                .maxHeaderListSize(MAX_HEADER_LIST_SIZE);
        pipeline.addLast("h2-frames", Http2FrameCodecBuilder.forServer().initialSettings(settings).build());
        pipeline.addLast("h2-multiplex", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                // As for the connection (ServerTls.WRITE_BUFFER): a stream sending a blob keeps a
                // few chunks queued instead of stopping after each one.
                stream.config().setWriteBufferWaterMark(ServerTls.WRITE_BUFFER);
                stream.pipeline()
                        .addLast("h2-stream-codec", new Http2StreamFrameToHttpObjectCodec(true))
                        .addLast("h2-stream-1xx", new InformationalResponseCleaner())
                        .addLast("h2-stream-chunked", new ChunkedWriteHandler());
                streamHandlers.accept(stream.pipeline());
            }
        }));
        pipeline.addLast("h2-errors", new ConnectionErrorLogger());
    }

    /**
     * Whether a channel's bytes are encrypted: it, or the HTTP/2 connection it is a stream of, has
     * an {@link SslHandler}. Use this rather than looking for an {@code SslHandler} in the
     * stream's own pipeline, which never has one.
     */
    public static boolean isEncrypted(Channel channel) {
        for (Channel current = channel; current != null; current = current.parent()) {
            if (current.pipeline().get(SslHandler.class) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Drops {@code Content-Length} from 1xx responses, which RFC 9110 forbids and HTTP/2 clients
     * (curl's nghttp2) reject with a stream PROTOCOL_ERROR, yet Netty's
     * {@code HttpServerExpectContinueHandler} sets on its {@code 100 Continue}.
     */
    private static final class InformationalResponseCleaner extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof FullHttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                // A copy: the continue handler writes duplicates of one shared response.
                FullHttpResponse cleaned = response.replace(response.content());
                cleaned.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                ctx.write(cleaned, promise);
                return;
            }
            ctx.write(msg, promise);
        }
    }

    /**
     * End of an HTTP/2 connection's pipeline: the frame codec has already answered protocol
     * errors with GOAWAY/RST_STREAM, so what arrives here is a dead peer; log quietly and close.
     */
    private static final class ConnectionErrorLogger extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}

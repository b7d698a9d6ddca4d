package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * First on a plain-HTTP connection when {@code http.h2c.enabled} is set: looks at the first bytes
 * for HTTP/2's connection preface ({@code PRI * HTTP/2.0...}, "prior knowledge", RFC 9113 §3.3),
 * installs the HTTP/2 or the HTTP/1.1 handlers accordingly, and steps aside, handing them the
 * bytes it read. The {@code Upgrade: h2c} dance of HTTP/1.1 is not offered (RFC 9113 deprecates
 * it); such a client goes on with HTTP/1.1. A client that sends part of the preface and then
 * nothing is closed after {@code http.headertimeout}, as one sending half a request head would be.
 */
public final class CleartextHttp2Detector extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(CleartextHttp2Detector.class);
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final Consumer<ChannelPipeline> http1;
    private final Consumer<ChannelPipeline> http2;
    private final Duration timeout;
    private ScheduledFuture<?> deadline;

    /**
     * @param http1 adds the HTTP/1.1 handlers to the connection's pipeline
     * @param http2 adds the HTTP/2 handlers to the connection's pipeline
     * @param timeout how long a client may take to show which it speaks; zero for no limit
     */
    public CleartextHttp2Detector(Consumer<ChannelPipeline> http1, Consumer<ChannelPipeline> http2, Duration timeout) {
        this.http1 = http1;
        this.http2 = http2;
        this.timeout = timeout;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean prefaceSoFar = ByteBufUtil.equals(PREFACE, PREFACE.readerIndex(), in, in.readerIndex(), length);
        if (prefaceSoFar && length < PREFACE.readableBytes()) {
            if (deadline == null && !timeout.isZero()) {
                deadline = ctx.executor().schedule(() -> {
                    log.debug("connection {}: no complete request or HTTP/2 preface after {} ms (http.headertimeout), closing",
                            ctx.channel().remoteAddress(), timeout.toMillis());
                    ctx.close();
                }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            return; // wait for the rest of the preface
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        (prefaceSoFar ? http2 : http1).accept(ctx.pipeline());
        ctx.pipeline().remove(this); // forwards what was read to the handlers just added
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}

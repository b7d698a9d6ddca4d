package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code http.headertimeout}: closes an HTTP/1 connection whose client takes longer than the
 * limit to send a request's line and headers, counted from the request's first byte. Sits in
 * front of the HTTP decoder, so it sees the raw bytes; {@link HttpChannelHandler} tells it when a
 * request's head has been decoded and when its response is out.
 *
 * <p>The clock starts at a request's first byte rather than when the connection opens, so idle
 * keep-alive connections stay open for clients to reuse; a client dribbling its headers a byte at
 * a time (slowloris) loses its connection when the limit is up.
 */
public final class HeaderReadTimeout extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HeaderReadTimeout.class);

    private final long limitNanos;
    private ScheduledFuture<?> deadline;
    /** Between requests: the next byte read starts a request head. */
    private boolean awaitingHead = true;

    public HeaderReadTimeout(Duration limit) {
        this.limitNanos = limit.toNanos();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && deadline == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
            deadline = ctx.executor().schedule(() -> expire(ctx), limitNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        if (awaitingHead) {
            log.debug("connection {}: request headers not complete after {} ms (http.headertimeout), closing",
                    ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toMillis(limitNanos));
            ctx.close();
        }
    }

    /** A request's head was decoded: its body may take as long as it takes. Called on the event loop. */
    void headReceived() {
        awaitingHead = false;
        cancel();
    }

    /** The request's response is out: the next bytes start another head. Called on the event loop. */
    void requestFinished() {
        awaitingHead = true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}

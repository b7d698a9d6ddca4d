package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.function.Supplier;

/**
 * Sends a blob body by fetching it from a URL its store signed (S3, GCS) and passing the bytes
 * straight from that connection to the client's, on the client connection's event loop.
 *
 * <p>Why: with redirects off, a pull through the store's SDK copies every byte several times
 * (HTTP client buffers, SDK streams, a heap array, a direct buffer) on a worker thread; here each
 * buffer read from the store is written to the client as it is, with no copy in user space and
 * no thread hop. Backpressure: the store connection reads on only while less than
 * {@link #READ_AHEAD} bytes wait to go out to the client, so a pull holds at most that plus one read.
 *
 * <p>Anything that goes wrong before the response head is sent (no connection, TLS, a status
 * other than 200/206, a length that is not the one expected) falls back to the driver's reader:
 * the client never sees the difference. A failure after that fails the returned future, and the
 * client connection is closed, as with any body that breaks off.
 */
final class ObjectUrlRelay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ObjectUrlRelay.class);
    /**
     * How much may wait to go out to the client while the next read from the store is made:
     * enough to keep both sockets busy at once, bounded per pull (plus one read, at most 1 MiB).
     */
    private static final long READ_AHEAD = 512 * 1024;

    private final ChannelHandlerContext client;
    private final HttpResponse head;
    private final URI url;
    private final StoreTls tls;
    private final long position;
    private final long length;
    private final Supplier<ChannelFuture> fallback;
    private final ChannelPromise done;

    private Channel upstream;
    private boolean headSent;
    private boolean upstreamKeepAlive;
    private boolean lastReceived;
    private long received;
    /** Bytes written towards the client and not yet handed to its socket. */
    private long unsent;
    private boolean awaitingDrain;
    private boolean finished;

    private ObjectUrlRelay(ChannelHandlerContext client, HttpResponse head, URI url, StoreTls tls, long position,
                           long length, Supplier<ChannelFuture> fallback) {
        this.client = client;
        this.head = head;
        this.url = url;
        this.tls = tls;
        this.position = position;
        this.length = length;
        this.fallback = fallback;
        this.done = client.newPromise();
    }

    /**
     * Sends {@code head}, then {@code length} bytes of the object at {@code url} from
     * {@code position}, then the last content. Must be called on {@code client}'s event loop.
     *
     * @param fallback sends head and body another way; called (at most once, on the event loop)
     *                 when the URL cannot be used before the head is out
     * @return completes when the last content is written, or fails when the body breaks off
     */
    static ChannelFuture start(ChannelHandlerContext client, HttpResponse head, URI url, StoreTls tls, long position,
                               long length, Supplier<ChannelFuture> fallback) {
        ObjectUrlRelay relay = new ObjectUrlRelay(client, head, url, tls, position, length, fallback);
        if (UpstreamConnections.recentlyUnreachable(url, tls)) {
            relay.fallBack("the store's address failed lately");
            return relay.done;
        }
        UpstreamConnections.acquire(client.channel().eventLoop(), url, tls).addListener(connected -> {
            if (!connected.isSuccess()) {
                UpstreamConnections.markUnreachable(url, tls);
                relay.fallBack("cannot connect: " + connected.cause());
                return;
            }
            relay.send((Channel) connected.getNow());
        });
        return relay.done;
    }

    private void send(Channel channel) {
        upstream = channel;
        if (client.channel().isActive()) {
            channel.pipeline().addBefore(UpstreamConnections.IDLE_GUARD, UpstreamConnections.EXCHANGE, this);
        } else {
            channel.close();
            done.tryFailure(new IOException("the client closed the connection"));
            return;
        }
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, url.getRawPath()
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()));
        request.headers().set(HttpHeaderNames.HOST, url.getRawAuthority());
        request.headers().set(HttpHeaderNames.RANGE, "bytes=" + position + "-" + (position + length - 1));
        request.headers().set(HttpHeaderNames.USER_AGENT, "registry-server");
        upstream.writeAndFlush(request).addListener(written -> {
            if (!written.isSuccess()) {
                failed(written.cause());
            } else {
                upstream.read();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (finished) {
                return;
            }
            if (msg instanceof HttpResponse response) {
                String problem = check(response);
                if (problem != null) {
                    upstreamKeepAlive = false;
                    fallBack(problem);
                    return;
                }
                upstreamKeepAlive = HttpUtil.isKeepAlive(response);
                headSent = true;
                client.write(head);
            }
            if (msg instanceof HttpContent content) {
                if (content.decoderResult().isFailure()) {
                    failed(content.decoderResult().cause());
                    return;
                }
                ByteBuf bytes = content.content();
                received += bytes.readableBytes();
                if (received > length) {
                    failed(new IOException("the store sent more than the " + length + " bytes asked for"));
                    return;
                }
                int size = bytes.readableBytes();
                if (size > 0) {
                    unsent += size;
                    client.write(new DefaultHttpContent(bytes.retain())).addListener(written -> sent(size, written.cause()));
                }
                if (content instanceof LastHttpContent) {
                    lastReceived = true;
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (finished || !headSent) {
            return;
        }
        if (!client.channel().isActive()) {
            failed(new IOException("the client closed the connection"));
            return;
        }
        if (lastReceived) {
            finish();
            return;
        }
        client.flush();
        if (unsent <= READ_AHEAD) {
            upstream.read();
        } else {
            awaitingDrain = true;
        }
    }

    /** A write to the client is done: read on from the store once most of what was read is out. */
    private void sent(int size, Throwable failure) {
        unsent -= size;
        if (failure != null) {
            failed(failure);
        } else if (awaitingDrain && unsent <= READ_AHEAD / 2 && !finished) {
            awaitingDrain = false;
            upstream.read();
        }
    }

    private void finish() {
        if (received != length) {
            failed(new IOException("the store sent " + received + " of " + length + " bytes"));
            return;
        }
        finished = true;
        upstream.pipeline().remove(this);
        if (upstreamKeepAlive) {
            UpstreamConnections.release(upstream, url, tls);
        } else {
            upstream.close();
        }
        client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(written -> {
            if (written.isSuccess()) {
                done.trySuccess();
            } else {
                done.tryFailure(written.cause());
            }
        });
    }

    private String check(HttpResponse response) {
        int status = response.status().code();
        long contentLength = HttpUtil.getContentLength(response, -1L);
        if (status == 206 || (status == 200 && position == 0)) {
            return contentLength == length ? null
                    : "the store answered " + status + " with Content-Length " + contentLength + " where " + length + " was asked for";
        }
        return "the store answered " + status;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            failed(new IOException("the store closed the connection after " + received + " of " + length + " bytes"));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!headSent && (cause instanceof javax.net.ssl.SSLException
                || cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException)) {
            UpstreamConnections.markUnreachable(url, tls);
        }
        failed(cause);
    }

    private void failed(Throwable cause) {
        if (headSent) {
            if (!finished) {
                finished = true;
                upstream.close();
                log.debug("relay of {} bytes from the store broke off: {}", length, cause.toString());
                done.tryFailure(cause instanceof IOException ? cause : new IOException(cause));
            }
        } else {
            fallBack(cause.toString());
        }
    }

    /** The URL could not serve the body: nothing was sent yet, so send it the other way. */
    private void fallBack(String why) {
        if (finished) {
            return;
        }
        finished = true;
        if (upstream != null) {
            upstream.close();
        }
        log.debug("blob body from the store's URL failed before the response ({}); reading it through the driver", why);
        fallback.get().addListener(sent -> {
            if (sent.isSuccess()) {
                done.trySuccess();
            } else {
                done.tryFailure(sent.cause());
            }
        });
    }
}

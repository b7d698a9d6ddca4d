package dev.registry.server.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive HTTP/1.1 client connections to object stores, kept per event loop: a connection is
 * only ever used by the loop it is registered with, so neither the pool nor the relays need locks,
 * and the bytes a relay reads arrive on the thread that writes them to the client.
 */
final class UpstreamConnections {
    /** Name of the per-exchange handler a relay adds behind the codec. */
    static final String EXCHANGE = "exchange";
    /** The last handler: what reaches it arrived outside an exchange. */
    static final String IDLE_GUARD = "idle";
    private static final int MAX_IDLE_PER_ORIGIN = 16;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    /** A store that sends nothing for this long has failed the exchange (the SDK's socket timeout is alike). */
    private static final int READ_TIMEOUT_SECONDS = 60;

    private static final FastThreadLocal<Map<String, ArrayDeque<Channel>>> IDLE = new FastThreadLocal<>() {
        @Override
        protected Map<String, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };
    /**
     * Origins that could not be connected to (or whose TLS handshake failed) lately, with the
     * time they may be tried again: until then relays fall back at once instead of paying a
     * failed connection per pull (a store down, or a certificate the relay does not trust).
     */
    private static final Map<String, Long> UNREACHABLE_UNTIL = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long RETRY_UNREACHABLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private UpstreamConnections() {
    }

    /**
     * A connection to {@code url}'s origin on {@code loop}, checking an https store's certificate
     * as {@code tls} says: an idle one made the same way, or a new one. Call on {@code loop}.
     */
    static Future<Channel> acquire(EventLoop loop, URI url, StoreTls tls) {
        ArrayDeque<Channel> idle = IDLE.get().get(key(url, tls));
        while (idle != null && !idle.isEmpty()) {
            Channel channel = idle.pollLast();
            if (channel.isActive()) {
                return loop.newSucceededFuture(channel);
            }
        }
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        if (!https && !"http".equalsIgnoreCase(url.getScheme())) {
            return loop.newFailedFuture(new IllegalArgumentException("not an http(s) URL: " + url.getScheme()));
        }
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        SslContext sslContext;
        try {
            sslContext = https ? tls.context() : null;
        } catch (SSLException e) {
            return loop.newFailedFuture(e);
        }
        ChannelFuture connected = new Bootstrap()
                .group(loop)
                .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                // one read may take up to 1 MiB, as the server's own connections do for uploads
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 64 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (sslContext != null) {
                            channel.pipeline().addLast("tls", sslContext.newHandler(channel.alloc(), host, port));
                        }
                        channel.pipeline()
                                .addLast("timeout", new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                                // content passes through as slices of what each socket read got, not 8 KiB pieces
                                .addLast("codec", new HttpClientCodec(new HttpDecoderConfig().setMaxChunkSize(1024 * 1024),
                                        false, false))
                                .addLast(IDLE_GUARD, new IdleGuard());
                    }
                })
                .connect(host, port);
        return asChannelFuture(loop, connected);
    }

    private static Future<Channel> asChannelFuture(EventLoop loop, ChannelFuture connected) {
        var promise = loop.<Channel>newPromise();
        connected.addListener(f -> {
            if (f.isSuccess()) {
                promise.trySuccess(connected.channel());
            } else {
                connected.channel().close();
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /** Returns a connection whose exchange ended cleanly, for the next relay on its loop. */
    static void release(Channel channel, URI url, StoreTls tls) {
        ArrayDeque<Channel> idle = IDLE.get().computeIfAbsent(key(url, tls), k -> new ArrayDeque<>());
        if (idle.size() >= MAX_IDLE_PER_ORIGIN || !channel.isActive()) {
            channel.close();
            return;
        }
        idle.addLast(channel);
    }

    /**
     * Closes a connection that, between exchanges, times out, fails or receives anything: it
     * cannot be used for the next exchange.
     */
    private static final class IdleGuard extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            ctx.close();
        }

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Whether connections to {@code url}'s origin failed within the last minute. */
    static boolean recentlyUnreachable(URI url, StoreTls tls) {
        Long until = UNREACHABLE_UNTIL.get(key(url, tls));
        if (until == null) {
            return false;
        }
        if (System.nanoTime() - until >= 0) {
            UNREACHABLE_UNTIL.remove(key(url, tls), until);
            return false;
        }
        return true;
    }

    /** Remembers that a connection to {@code url}'s origin (or its TLS handshake) failed. */
    static void markUnreachable(URI url, StoreTls tls) {
        UNREACHABLE_UNTIL.put(key(url, tls), System.nanoTime() + RETRY_UNREACHABLE_NANOS);
    }

    private static String key(URI url, StoreTls tls) {
        return tls.poolKey(url.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + url.getRawAuthority());
    }
}

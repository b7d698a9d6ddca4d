package dev.registry.server.tls;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A tiny HTTPS server wired the way the registry is meant to be: TLS from a
 * {@link ReloadingSslContext}, ALPN choosing HTTP/1.1 or HTTP/2, and one request handler written
 * against HTTP/1.1 objects serving both. The handler answers {@code 200} with a summary of what
 * it saw; {@code /big?n} answers {@code n} bytes through {@link HttpChunkedInput}.
 */
final class TestTlsServer implements AutoCloseable {
    /** What the handler saw of one request. */
    record Seen(String protocol, String method, String uri, String host, long bodyBytes, boolean encrypted) {
    }

    final List<Seen> requests = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel server;

    /** Puts TLS and protocol negotiation on a new connection, as {@link ServerTls#initChannel} does. */
    interface Installer {
        void install(Channel channel, Consumer<ChannelPipeline> http1, Consumer<ChannelPipeline> http2Stream);
    }

    TestTlsServer(ReloadingSslContext tls) throws InterruptedException {
        this((channel, http1, http2Stream) -> channel.pipeline()
                .addLast("tls", tls.newHandler(channel.alloc()))
                .addLast("alpn", new HttpProtocolNegotiationHandler(http1, http2Stream)));
    }

    TestTlsServer(Installer installer) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        installer.install(channel,
                                pipeline -> pipeline
                                        .addLast("codec", new HttpServerCodec())
                                        .addLast("continue", new HttpServerExpectContinueHandler())
                                        .addLast("chunked", new ChunkedWriteHandler())
                                        .addLast("api", new EchoHandler("http/1.1")),
                                pipeline -> pipeline
                                        .addLast("continue", new HttpServerExpectContinueHandler())
                                        .addLast("api", new EchoHandler("h2")));
                    }
                });
        server = bootstrap.bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Written like the registry's handler: HttpRequest, then HttpContent until LastHttpContent. */
    private final class EchoHandler extends ChannelInboundHandlerAdapter {
        private final String protocol;
        private HttpRequest request;
        private long bodyBytes;

        EchoHandler(String protocol) {
            this.protocol = protocol;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest started) {
                    request = started;
                    bodyBytes = 0;
                }
                if (msg instanceof HttpContent content) {
                    bodyBytes += content.content().readableBytes();
                }
                if (msg instanceof LastHttpContent) {
                    respond(ctx);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx) {
            boolean encrypted = Http2Support.isEncrypted(ctx.channel());
            Seen seen = new Seen(protocol, request.method().name(), request.uri(), request.headers().get(HttpHeaderNames.HOST),
                    bodyBytes, encrypted);
            requests.add(seen);
            if (request.uri().startsWith("/big?")) {
                int size = Integer.parseInt(request.uri().substring(5));
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setContentLength(head, size);
                ctx.write(head);
                ctx.writeAndFlush(new HttpChunkedInput(new ChunkedStream(new ByteArrayInputStream(new byte[size]), 64 * 1024)));
                return;
            }
            byte[] body = ("ok " + seen.protocol() + " host=" + seen.host() + " body=" + seen.bodyBytes() + " encrypted="
                    + encrypted).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            // The registry's handler always sets this; over HTTP/2 the codec must drop it.
            response.headers().set(HttpHeaderNames.CONNECTION, "keep-alive");
            HttpUtil.setContentLength(response, body.length);
            if (HttpUtil.isKeepAlive(request)) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}

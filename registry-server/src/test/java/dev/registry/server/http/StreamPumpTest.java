package dev.registry.server.http;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StreamPump} over a real loopback connection with small socket buffers: a client that
 * stops reading is cut off after the stall limit, and one that reads slowly but steadily, slower
 * than a chunk per limit, gets the whole body.
 */
@Timeout(60)
class StreamPumpTest {
    private static final Duration STALL_LIMIT = Duration.ofSeconds(1);
    private static final int CHUNK = 256 * 1024;
    private static final int BUFFER = 64 * 1024;

    private EventLoopGroup group;
    private ExecutorService workers;
    private final CompletableFuture<ChannelFuture> pumping = new CompletableFuture<>();

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        workers.shutdownNow();
        group.shutdownGracefully(0, 1, SECONDS).syncUninterruptibly();
    }

    @Test
    void aClientThatStopsReadingIsCutOffAfterTheStallLimit() throws Exception {
        long length = 256L * 1024 * 1024;
        try (Socket client = connect(serve(length, STALL_LIMIT))) {
            ChannelFuture sent = pumping.get(10, SECONDS);
            long started = System.nanoTime();
            assertTrue(sent.await(20, SECONDS), "the pump gave up on a client that reads nothing");
            assertFalse(sent.isSuccess());
            assertTrue(sent.cause().getMessage().contains("took no bytes"), sent.cause().toString());
            assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(STALL_LIMIT.dividedBy(2)) >= 0,
                    "not before the limit");

            // the server closed the connection: the client finds the end of the stream early
            client.setSoTimeout(10_000);
            long read = client.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            assertTrue(read < length, "got " + read + " of " + length + " bytes before the close");
        }
    }

    /**
     * A client at about 100 KiB/s takes 2.4 s for one 256 KiB chunk, longer than the limit: only
     * the bytes it takes in the middle of a chunk show that it is still reading.
     */
    @Test
    void aClientThatReadsSlowlyButSteadilyGetsTheWholeBody() throws Exception {
        long length = 768L * 1024;
        try (Socket client = connect(serve(length, Duration.ofSeconds(2)))) {
            InputStream in = client.getInputStream();
            byte[] head = new byte[4096];
            int headLength = readHead(in, head);
            assertTrue(new String(head, 0, headLength, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK"));
            long body = 0;
            byte[] piece = new byte[16 * 1024];
            while (body < length) {
                int n = in.read(piece);
                if (n < 0) {
                    break;
                }
                body += n;
                Thread.sleep(150); // about 100 KiB/s, with no pause near the limit
            }
            assertEquals(length, body, "the whole body");
            ChannelFuture sent = pumping.get(10, SECONDS);
            assertTrue(sent.await(10, SECONDS));
            assertTrue(sent.isSuccess(), String.valueOf(sent.cause()));
        }
    }

    /** A server that answers every connection with a body of {@code length} bytes sent by a pump. */
    private int serve(long length, Duration stallLimit) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, BUFFER)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpResponseEncoder(), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                                HttpUtil.setContentLength(head, length);
                                ctx.write(head);
                                pumping.complete(StreamPump.start(ctx, new Zeros(length), length, CHUNK, workers, stallLimit));
                            }
                        });
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static Socket connect(int port) throws Exception {
        Socket client = new Socket();
        client.setReceiveBufferSize(BUFFER);
        client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        return client;
    }

    /** Reads the response head, up to and including its blank line; returns its length. */
    private static int readHead(InputStream in, byte[] head) throws Exception {
        int length = 0;
        while (length < 4 || !(head[length - 4] == '\r' && head[length - 3] == '\n' && head[length - 2] == '\r'
                && head[length - 1] == '\n')) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the connection ended inside the response head");
            }
            head[length++] = (byte) b;
        }
        return length;
    }

    /** {@code length} bytes (whatever the buffer held: only the count matters here). */
    private static final class Zeros implements ReadableByteChannel {
        private long left;
        private boolean open = true;

        Zeros(long length) {
            this.left = length;
        }

        @Override
        public int read(ByteBuffer target) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(left, target.remaining());
            target.position(target.position() + n);
            left -= n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}

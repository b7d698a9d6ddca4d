package dev.registry.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import dev.registry.server.tls.Http2Support;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One connection's HTTP/1.1 request loop. Parses each request on the event loop, hands it to a
 * worker (storage calls block), streams the body to the worker with backpressure, and writes
 * the response, zero-copy for file-backed blobs on plain connections.
 *
 * <p>Requests on a connection are answered strictly in order: after a request's last byte,
 * reading stops until its response is written, and anything already decoded waits in a backlog.
 */
public final class HttpChannelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpChannelHandler.class);
    private static final int STREAM_CHUNK = 256 * 1024;

    private final RequestHandler handler;
    private final Executor workers;
    private final String pathPrefix;
    private final Map<String, java.util.List<String>> extraHeaders;
    private final boolean accessLogEnabled;
    private final OpenConnections connections;
    /** {@code http.headertimeout} on an HTTP/1 connection, or {@code null} (HTTP/2 streams, no limit). */
    private final HeaderReadTimeout headerTimeout;
    private final RequestMetrics metrics;
    /** How relays of blob bodies from the store's signed URLs check its certificate. */
    private final StoreTls storeTls;

    private final ArrayDeque<Object> backlog = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private boolean inFlight;
    private boolean requestComplete;
    private boolean bodyPaused;
    private RequestBody body;
    /**
     * The connection cannot carry another request after this one's answer: its body's framing
     * was broken (the decoder then drops everything that follows) or ambiguous.
     */
    private boolean closeAfterResponse;
    /** Body bytes of the current request read so far, for {@link RequestMetrics}. */
    private long receivedBytes;

    /**
     * @param headerTimeout the connection's {@link HeaderReadTimeout}, told when each request's
     *                      head arrives and when its answer is out; {@code null} for none
     * @param metrics told about each answered request ({@link RequestMetrics#NONE} for none)
     * @param storeTls how relays from the store's signed URLs check its certificate: as its driver does
     */
    public HttpChannelHandler(RequestHandler handler, Executor workers, String pathPrefix,
                              Map<String, java.util.List<String>> extraHeaders, boolean accessLogEnabled,
                              OpenConnections connections, HeaderReadTimeout headerTimeout, RequestMetrics metrics,
                              StoreTls storeTls) {
        this.handler = handler;
        this.storeTls = storeTls;
        this.metrics = metrics;
        this.headerTimeout = headerTimeout;
        this.connections = connections;
        this.workers = workers;
        this.pathPrefix = pathPrefix;
        this.extraHeaders = extraHeaders;
        this.accessLogEnabled = accessLogEnabled;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (inFlight && requestComplete) {
            backlog.add(msg);
            return;
        }
        process(msg);
    }

    private void process(Object msg) {
        if (msg instanceof HttpRequest request) {
            startRequest(request);
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                malformedBody(content);
            } else if (body != null) {
                receivedBytes += content.content().readableBytes();
                body.offer(content);
            }
            if (content instanceof LastHttpContent) {
                requestComplete = true;
                updateAutoRead();
            }
        }
        ReferenceCountUtil.release(msg);
    }

    /**
     * The body's chunked framing is broken. The decoder drops everything after it, so the
     * connection cannot serve another request: the handler reading the body sees it fail (and
     * answers 400), and the connection closes after that answer.
     */
    private void malformedBody(HttpContent content) {
        log.debug("connection {}: malformed request body: {}", ctx.channel().remoteAddress(),
                String.valueOf(content.decoderResult().cause()));
        closeAfterResponse = true;
        if (body != null) {
            body.fail("malformed chunked encoding");
        }
    }

    private void startRequest(HttpRequest request) {
        long started = System.nanoTime();
        setInFlight(true);
        requestComplete = false;
        receivedBytes = 0;
        if (headerTimeout != null) {
            headerTimeout.headReceived();
        }
        if (request.decoderResult().isFailure()) {
            refuse(RequestFraming.decoderFailureStatus(request.decoderResult()), "malformed HTTP request");
            return;
        }
        // HTTP/2 streams arrive converted to HTTP/1.1 objects; their framing was HTTP/2's.
        HttpResponseStatus refusal = ctx.channel() instanceof Http2StreamChannel ? null : RequestFraming.refusal(request);
        if (refusal != null) {
            refuse(refusal, refusal.code() == 505 ? "only HTTP/1.0 and HTTP/1.1 are served here"
                    : "an HTTP/1.1 request needs exactly one Host header");
            return;
        }
        if (RequestFraming.ambiguousLength(request)) {
            closeAfterResponse = true;
        }
        String authority = RequestFraming.authority(request.uri());
        if (authority != null) {
            // RFC 9112 §3.2.2: the target's authority replaces the Host header
            request.headers().set(HttpHeaderNames.HOST, authority);
        }
        String uri = RequestFraming.originForm(request.uri());
        int queryStart = uri.indexOf('?');
        String path = queryStart >= 0 ? uri.substring(0, queryStart) : uri;
        if (!pathPrefix.equals("/")) {
            path = path.startsWith(pathPrefix) ? path.substring(pathPrefix.length() - 1) : "/-";
        }
        boolean secure = Http2Support.isEncrypted(ctx.channel());
        String remote = ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress address && address.getAddress() != null
                ? address.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
        ApiRequest apiRequest = new ApiRequest(request.method(), uri, path, request.headers(), null, secure, remote);
        body = takesBody(request.method(), apiRequest.route().kind()) ? new RequestBody(new FlowControl()) : null;
        ApiRequest withBody = body == null ? apiRequest
                : new ApiRequest(request.method(), uri, path, request.headers(), body, secure, remote);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpVersion version = request.protocolVersion();
        HttpMethod method = request.method();
        RequestBody requestBody = body;
        try {
            workers.execute(() -> {
                ApiResponse response;
                try {
                    response = handler.handle(withBody);
                } catch (RuntimeException | Error e) {
                    // an Error too (say OutOfMemoryError): without a response the client would wait
                    // for ever and the request would count as in flight until shutdown gave up on it
                    log.error("unhandled failure for {} {}", method, uri, e);
                    response = ApiResponse.of(500).body(
                            "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"internal error\"}]}".getBytes(StandardCharsets.UTF_8),
                            "application/json");
                }
                ApiResponse done = response;
                ctx.executor().execute(() -> writeResponse(withBody, requestBody, done, version, keepAlive, started));
            });
        } catch (RejectedExecutionException shuttingDown) {
            ctx.close();
        }
    }

    /**
     * Answers a request the HTTP layer cannot serve with {@code status} and a JSON error, then
     * closes: whatever follows on the connection cannot be trusted to start a new request.
     */
    private void refuse(HttpResponseStatus status, String message) {
        body = null;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(("{\"errors\":[{\"code\":\"UNSUPPORTED\",\"message\":\"" + message + "\"}]}")
                        .getBytes(StandardCharsets.UTF_8)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * A file body for a connection that cannot take a {@code FileRegion} (TLS encrypts in user
     * space): read straight into pooled direct buffers, one copy, instead of through the heap
     * buffer of a {@code ChunkedNioStream} (three). {@code null} when the file is already closed.
     */
    private static ChunkedNioFile chunkedFile(FileChannel file, ApiResponse response) {
        try {
            return new ChunkedNioFile(file, response.streamPosition(), response.streamLength(), STREAM_CHUNK);
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean takesBody(HttpMethod method, Route.Kind kind) {
        return switch (kind) {
            case UPLOAD -> method.equals(HttpMethod.PATCH) || method.equals(HttpMethod.PUT);
            case UPLOAD_START -> method.equals(HttpMethod.POST);
            case MANIFEST -> method.equals(HttpMethod.PUT);
            case TOKEN -> method.equals(HttpMethod.POST);
            default -> false;
        };
    }

    private void writeResponse(ApiRequest request, RequestBody requestBody, ApiResponse response, HttpVersion version,
                               boolean keepAlive, long started) {
        if (requestBody != null) {
            // Frees what the handler borrowed or left unread. A client still sending a body we
            // will not read has not completed its request, so the connection closes below.
            requestBody.discard();
        }
        boolean close = !keepAlive || closeAfterResponse || !requestComplete || !ctx.channel().isActive()
                || connections.draining();
        HttpResponse head;
        Object content = null;
        ReadableByteChannel pumped = null;
        long bytes;
        if (response.hasStreamedBody() && !response.isHeadersOnly() && !request.isHead()) {
            head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status());
            head.headers().set(response.headers());
            HttpUtil.setContentLength(head, response.streamLength());
            bytes = response.streamLength();
            ReadableByteChannel stream = response.stream();
            if (stream == null) {
                // relayed from the store's URL below
            } else if (stream instanceof FileChannel file && !request.secure() && !(ctx.channel() instanceof Http2StreamChannel)) {
                // zero-copy only straight onto a socket: not through TLS, not into HTTP/2 frames (h2c)
                content = new DefaultFileRegion(file, response.streamPosition(), response.streamLength());
            } else if (stream instanceof FileChannel file && chunkedFile(file, response) instanceof ChunkedNioFile chunks) {
                content = new HttpChunkedInput(chunks);
            } else {
                pumped = stream;
            }
        } else {
            closeQuietly(response.stream());
            boolean head0 = response.isHeadersOnly() || request.isHead();
            FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                    head0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body()));
            full.headers().set(response.headers());
            if (!full.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                // A HEAD answer carries the length the GET body would have (RFC 9110 §9.3.2).
                HttpUtil.setContentLength(full, response.hasStreamedBody() ? response.streamLength() : response.body().length);
            }
            head = full;
            bytes = head0 ? 0 : response.body().length;
        }
        head.headers().set("Docker-Distribution-API-Version", "registry/2.0");
        extraHeaders.forEach((name, values) -> head.headers().set(name, values));
        // An HTTP/1.0 client keeps the connection only if the answer says keep-alive explicitly.
        HttpUtil.setKeepAlive(head.headers(), version, !close);
        ChannelFuture future;
        if (response.relaySource() != null && content == null && pumped == null && !response.isHeadersOnly() && !request.isHead()) {
            future = ObjectUrlRelay.start(ctx, head, response.relaySource(), storeTls, response.streamPosition(),
                    response.streamLength(), () -> openAndPump(head, response));
        } else if (pumped != null) {
            ctx.write(head);
            future = StreamPump.start(ctx, pumped, response.streamLength(), STREAM_CHUNK, workers);
        } else if (content == null) {
            future = ctx.writeAndFlush(head);
        } else {
            ctx.write(head);
            if (content instanceof DefaultFileRegion) {
                ctx.write(content);
                future = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                future = ctx.writeAndFlush(content);
            }
        }
        int status = response.status().code();
        future.addListener(f -> {
            metrics.completed(request.method(), request.route().kind(), status, receivedBytes, f.isSuccess() ? bytes : 0,
                    System.nanoTime() - started);
            if (accessLogEnabled) {
                AccessLog.write(request, status, bytes, System.nanoTime() - started, f.isSuccess());
            }
            if (close || !f.isSuccess()) {
                ctx.close();
            } else {
                finishRequest();
            }
        });
    }

    /**
     * Opens a relayed body's fallback on a worker, then sends {@code head} and the body as any
     * other stream: the store's URL could not serve it.
     */
    private ChannelFuture openAndPump(HttpResponse head, ApiResponse response) {
        ChannelPromise sent = ctx.newPromise();
        try {
            workers.execute(() -> {
                ReadableByteChannel source;
                try {
                    source = response.relayFallback().open();
                } catch (IOException | RuntimeException e) {
                    log.warn("cannot read a blob body from storage: {}", e.toString());
                    sent.tryFailure(e);
                    return;
                }
                ctx.write(head);
                StreamPump.start(ctx, source, response.streamLength(), STREAM_CHUNK, workers)
                        .addListener(new PromiseNotifier<>(sent));
            });
        } catch (RejectedExecutionException e) {
            sent.tryFailure(e);
        }
        return sent;
    }

    /** The response went out: let the next request in, starting with any already decoded. */
    private void finishRequest() {
        setInFlight(false);
        if (headerTimeout != null) {
            headerTimeout.requestFinished();
        }
        body = null;
        bodyPaused = false;
        while (!backlog.isEmpty() && !(inFlight && requestComplete)) {
            process(backlog.poll());
        }
        updateAutoRead();
    }

    private void updateAutoRead() {
        boolean read = !bodyPaused && !(inFlight && requestComplete);
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    /** Keeps {@link OpenConnections} counting this connection's request, once per request. */
    private void setInFlight(boolean now) {
        if (now != inFlight) {
            inFlight = now;
            if (now) {
                connections.requestStarted(ctx.channel());
            } else {
                connections.requestEnded(ctx.channel());
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        setInFlight(false);
        if (body != null) {
            body.fail();
        }
        Object pendingMessage;
        while ((pendingMessage = backlog.poll()) != null) {
            ReferenceCountUtil.release(pendingMessage);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        if (body != null) {
            body.fail();
        }
        ctx.close();
    }

    private static void closeQuietly(ReadableByteChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to do with it
            }
        }
    }

    /** Stops and restarts socket reads for the request body's backpressure, on the event loop. */
    private final class FlowControl implements RequestBody.FlowControl {
        @Override
        public void changed() {
            ctx.executor().execute(() -> {
                bodyPaused = body != null && body.wantsPause();
                updateAutoRead();
            });
        }
    }

}

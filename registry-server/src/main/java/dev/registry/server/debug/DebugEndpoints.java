package dev.registry.server.debug;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.server.metrics.RegistryMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;

/**
 * The debug listener's endpoints: the Prometheus metrics (when enabled), {@code /debug/health} as
 * registry:2 answers it, and {@code /livez} and {@code /readyz} for Kubernetes probes. Nothing here
 * asks for credentials. Answers are built on a worker, off the event loop.
 */
final class DebugEndpoints extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(DebugEndpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HEALTH_PATH = "/debug/health";
    static final String LIVE_PATH = "/livez";
    static final String READY_PATH = "/readyz";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON_TYPE = "application/json; charset=utf-8";

    private final RegistryMetrics metrics;
    private final String metricsPath;
    private final HealthChecks health;
    private final BooleanSupplier draining;
    private final Executor workers;

    /**
     * @param metrics the metrics to serve, or {@code null} when {@code http.debug.prometheus} is off
     * @param draining whether the server is shutting down (then it is no longer ready)
     */
    DebugEndpoints(RegistryMetrics metrics, String metricsPath, HealthChecks health, BooleanSupplier draining,
                   Executor workers) {
        this.metrics = metrics;
        this.metricsPath = metricsPath;
        this.health = health;
        this.draining = draining;
        this.workers = workers;
    }

    /** One answer: status, content type and body. */
    private record Answer(HttpResponseStatus status, String contentType, byte[] body) {
        static Answer json(HttpResponseStatus status, Map<String, String> body) {
            try {
                return new Answer(status, JSON_TYPE, JSON.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        HttpMethod method = request.method();
        boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        boolean head = method.equals(HttpMethod.HEAD);
        if (request.decoderResult().isFailure()) {
            write(ctx, Answer.json(HttpResponseStatus.BAD_REQUEST, Map.of("error", "malformed request")), false, false);
            return;
        }
        try {
            workers.execute(() -> {
                Answer answer;
                try {
                    answer = answer(method, path);
                } catch (RuntimeException e) {
                    log.error("debug endpoint {} failed", path, e);
                    answer = Answer.json(HttpResponseStatus.INTERNAL_SERVER_ERROR, Map.of("error", "internal error"));
                }
                write(ctx, answer, head, keepAlive);
            });
        } catch (RejectedExecutionException shuttingDown) {
            ctx.close();
        }
    }

    private Answer answer(HttpMethod method, String path) {
        boolean known = path.equals(HEALTH_PATH) || path.equals(LIVE_PATH) || path.equals(READY_PATH)
                || (metrics != null && path.equals(metricsPath));
        if (!known) {
            return Answer.json(HttpResponseStatus.NOT_FOUND, Map.of("error", "no such endpoint"));
        }
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return Answer.json(HttpResponseStatus.METHOD_NOT_ALLOWED, Map.of("error", "use GET or HEAD"));
        }
        if (metrics != null && path.equals(metricsPath)) {
            return new Answer(HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics.scrape().getBytes(StandardCharsets.UTF_8));
        }
        return switch (path) {
            case HEALTH_PATH -> {
                Map<String, String> failing = health.failing();
                yield Answer.json(failing.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, failing);
            }
            case LIVE_PATH -> Answer.json(HttpResponseStatus.OK, Map.of());
            default -> {
                if (draining.getAsBoolean()) {
                    yield Answer.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("server", "shutting down"));
                }
                String storage = health.storageUnready();
                yield storage == null ? Answer.json(HttpResponseStatus.OK, Map.of())
                        : Answer.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of(health.storageCheckName(), storage));
            }
        };
    }

    private static void write(ChannelHandlerContext ctx, Answer answer, boolean head, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (answer.status() == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        }
        HttpUtil.setContentLength(response, answer.body().length);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.warn("debug connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}

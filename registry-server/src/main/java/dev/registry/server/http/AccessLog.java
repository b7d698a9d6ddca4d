package dev.registry.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per answered request on the logger {@value #LOGGER}. The text format's
 * message is the classic one-line summary; the same values are attached as SLF4J key-value pairs
 * ({@code method}, {@code uri}, {@code status}, {@code bytes}, {@code duration_ms}, {@code user},
 * {@code remote_addr}, {@code user_agent}, {@code request_id}), which the text pattern leaves out
 * and the JSON format writes as fields of their own.
 */
final class AccessLog {
    static final String LOGGER = "dev.registry.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private AccessLog() {
    }

    /**
     * @param bytes       the response body's length
     * @param durationNanos from the request's arrival until the response was written
     * @param sent        whether the response was written out completely
     */
    static void write(ApiRequest request, int status, long bytes, long durationNanos, boolean sent) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        long durationMillis = durationNanos / 1_000_000;
        String userAgent = request.header(HttpHeaderNames.USER_AGENT);
        LOG.atInfo()
                .addKeyValue("method", request.method().name())
                .addKeyValue("uri", request.uri())
                .addKeyValue("status", status)
                .addKeyValue("bytes", bytes)
                .addKeyValue("duration_ms", durationMillis)
                .addKeyValue("user", request.user())
                .addKeyValue("remote_addr", request.remoteAddress())
                .addKeyValue("user_agent", userAgent)
                .addKeyValue("request_id", request.id())
                .log("{} \"{} {}\" {} {} {}ms user={} ua=\"{}\"{}", request.remoteAddress(), request.method(),
                        request.uri(), status, bytes, durationMillis, request.user(), userAgent,
                        sent ? "" : " (send failed)");
    }
}

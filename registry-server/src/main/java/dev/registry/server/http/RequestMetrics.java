package dev.registry.server.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * Told about every answered request, on the connection's event loop once the answer is written;
 * implementations must be cheap and must not block.
 */
@FunctionalInterface
public interface RequestMetrics {

    /** Records nothing (metrics off). */
    RequestMetrics NONE = (method, route, status, receivedBytes, sentBytes, nanos) -> {
    };

    /**
     * @param receivedBytes request body bytes read before the answer was written
     * @param sentBytes response body bytes written, {@code 0} when the write failed
     * @param nanos from the request's head to the answer written
     */
    void completed(HttpMethod method, Route.Kind route, int status, long receivedBytes, long sentBytes, long nanos);
}

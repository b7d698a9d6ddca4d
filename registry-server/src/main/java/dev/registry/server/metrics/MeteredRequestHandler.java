package dev.registry.server.metrics;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.server.http.RequestHandler;
import dev.registry.server.http.Route;
import io.netty.handler.codec.http.HttpMethod;

/**
 * Wraps the API's handler to count what only the handling shows: upload requests in progress
 * (while their body is stored) and authentication failures, told apart by the answer's status
 * and whether the request carried credentials.
 */
public final class MeteredRequestHandler implements RequestHandler {
    private final RequestHandler handler;
    private final RegistryMetrics metrics;

    public MeteredRequestHandler(RequestHandler handler, RegistryMetrics metrics) {
        this.handler = handler;
        this.metrics = metrics;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        Route.Kind route = request.route().kind();
        boolean upload = request.body() != null && (route == Route.Kind.UPLOAD || route == Route.Kind.UPLOAD_START);
        ApiResponse response;
        if (upload) {
            metrics.uploadStarted();
            try {
                response = handler.handle(request);
            } finally {
                metrics.uploadEnded();
            }
        } else {
            response = handler.handle(request);
        }
        RegistryMetrics.AuthFailure failure = authFailure(request, route, response.status().code());
        if (failure != null) {
            metrics.authFailure(failure);
        }
        return response;
    }

    /** Only authentication answers 401, 403 and 429 in this API. */
    static RegistryMetrics.AuthFailure authFailure(ApiRequest request, Route.Kind route, int status) {
        return switch (status) {
            case 401 -> request.header("Authorization") != null
                    // the token server's POST form carries the password in its body
                    || (route == Route.Kind.TOKEN && request.method().equals(HttpMethod.POST))
                    ? RegistryMetrics.AuthFailure.INVALID_CREDENTIALS : RegistryMetrics.AuthFailure.MISSING_CREDENTIALS;
            case 403 -> RegistryMetrics.AuthFailure.DENIED;
            case 429 -> RegistryMetrics.AuthFailure.THROTTLED;
            default -> null;
        };
    }
}

package dev.registry.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.server.http.RequestBody;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeteredRequestHandlerTest {
    private final RegistryMetrics metrics = RegistryMetrics.create();

    @AfterEach
    void close() {
        metrics.close();
    }

    private static ApiRequest request(HttpMethod method, String path, String authorization, RequestBody body) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (authorization != null) {
            headers.set("Authorization", authorization);
        }
        return new ApiRequest(method, path, path, headers, body, false, "127.0.0.1");
    }

    private double failures(String reason) {
        return metrics.registry().get("registry.auth.failures").tag("reason", reason).counter().count();
    }

    private double uploads() {
        return metrics.registry().get("registry.uploads.in.progress").gauge().value();
    }

    @Test
    void authFailuresAreToldApartByStatusAndCredentials() {
        int[] status = {401};
        MeteredRequestHandler handler = new MeteredRequestHandler(request -> ApiResponse.of(status[0]), metrics);

        handler.handle(request(HttpMethod.GET, "/v2/", null, null));
        handler.handle(request(HttpMethod.GET, "/v2/", "Basic YTpi", null));
        // the token server's POST form carries the password in its body, not in a header
        handler.handle(request(HttpMethod.POST, "/auth/token", null, null));
        status[0] = 403;
        handler.handle(request(HttpMethod.GET, "/v2/a/manifests/1", "Bearer x", null));
        status[0] = 429;
        handler.handle(request(HttpMethod.GET, "/v2/", "Basic YTpi", null));
        status[0] = 404;
        handler.handle(request(HttpMethod.GET, "/v2/a/manifests/1", "Bearer x", null));

        assertEquals(1, failures("missing_credentials"));
        assertEquals(2, failures("invalid_credentials"));
        assertEquals(1, failures("denied"));
        assertEquals(1, failures("throttled"));
    }

    @Test
    void uploadsAreInProgressWhileTheirBodyIsHandled() {
        AtomicReference<Double> during = new AtomicReference<>();
        MeteredRequestHandler handler = new MeteredRequestHandler(request -> {
            during.set(uploads());
            return ApiResponse.of(202);
        }, metrics);
        RequestBody body = new RequestBody(() -> {
        });

        handler.handle(request(HttpMethod.PATCH, "/v2/a/blobs/uploads/u1", null, body));
        assertEquals(1.0, during.get());
        assertEquals(0.0, uploads());

        handler.handle(request(HttpMethod.GET, "/v2/a/blobs/uploads/u1", null, null));
        assertEquals(0.0, during.get(), "a status request has no body to store");

        MeteredRequestHandler failing = new MeteredRequestHandler(request -> {
            throw new IllegalStateException("bug");
        }, metrics);
        try {
            failing.handle(request(HttpMethod.PUT, "/v2/a/blobs/uploads/u1", null, body));
        } catch (IllegalStateException expected) {
            // the server answers 500; the gauge must not stay up
        }
        assertEquals(0.0, uploads());
    }
}

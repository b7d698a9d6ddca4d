package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpExchange;
import dev.registry.server.http.ApiRequest;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that limits the pull rate ({@code 429}, as Docker Hub does): what is cached is
 * served, what is not answers {@code 429 TOOMANYREQUESTS}, which clients show as a rate limit,
 * rather than the {@code 503 UNAVAILABLE} of an upstream that is down.
 */
class MirrorRateLimitTest {
    private static final byte[] MANIFEST = FakeUpstream.manifest("limited");

    /** The status every request gets; 200 serves the manifest. */
    private final AtomicInteger status = new AtomicInteger(200);
    private FakeUpstream upstream;
    private Registry registry;
    private Mirror mirror;

    @BeforeEach
    void start() throws IOException {
        upstream = FakeUpstream.start(this::answer);
        registry = new Registry(new InMemoryDriver(), true, Clock.systemUTC());
        mirror = new Mirror(upstream.singleRemote(Duration.ZERO), registry,
                HttpClient.newHttpClient(), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (status.get() != 200) {
                exchange.sendResponseHeaders(status.get(), -1);
                return;
            }
            FakeUpstream.sendManifest(exchange, MANIFEST);
        }
    }

    @Test
    void whatIsNotCachedAnswersTooManyRequestsAndWhatIsCachedIsServed() throws IOException {
        status.set(429);
        RegistryException limited = assertThrows(RegistryException.class, () -> mirror.manifest("up/app", "1"));
        assertEquals(ErrorCode.TOOMANYREQUESTS, limited.code(), limited.getMessage());
        assertEquals(429, limited.status());
        Digest layer = Digest.sha256("a layer".getBytes(StandardCharsets.UTF_8));
        String path = "/v2/up/app/blobs/" + layer;
        RegistryException blob = assertThrows(RegistryException.class, () -> mirror.blob(
                new ApiRequest(HttpMethod.GET, path, path, new DefaultHttpHeaders(), null, false, "127.0.0.1"), "up/app", layer));
        assertEquals(ErrorCode.TOOMANYREQUESTS, blob.code(), blob.getMessage());

        status.set(503);
        RegistryException down = assertThrows(RegistryException.class, () -> mirror.manifest("up/app", "1"));
        assertEquals(ErrorCode.UNAVAILABLE, down.code(), down.getMessage());

        status.set(200);
        assertEquals(Optional.empty(), mirror.manifest("up/app", "1"), "fetched and cached");
        status.set(429);
        assertEquals(Optional.empty(), mirror.manifest("up/app", "1"), "the cached tag, served while the upstream limits");
        assertEquals(Optional.of(Digest.sha256(MANIFEST)), registry.tags().resolve("up/app", "1"));
    }
}

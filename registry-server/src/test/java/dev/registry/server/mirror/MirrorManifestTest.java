package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.server.http.ApiResponse;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Manifests through the mirror when many requests for one manifest arrive while the cache is
 * cold: the upstream is asked once, and every request gets that one outcome.
 */
class MirrorManifestTest {
    private static final byte[] MANIFEST = ("{\"schemaVersion\":2,"
            + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
            + "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0}]}")
            .getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.sha256(MANIFEST);

    private FakeUpstream upstream;
    private final AtomicInteger manifestGets = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private Registry registry;
    private Mirror mirror;

    @BeforeEach
    void start() throws IOException {
        upstream = FakeUpstream.start(exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET") || !exchange.getRequestURI().getPath().contains("/manifests/")) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                manifestGets.incrementAndGet();
                release.await(20, TimeUnit.SECONDS); // held until every request has arrived
                if (exchange.getRequestURI().getPath().contains("/missing/")) {
                    byte[] error = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"
                            .getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(404, error.length);
                    exchange.getResponseBody().write(error);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
                exchange.getResponseHeaders().set("Docker-Content-Digest", DIGEST.toString());
                exchange.sendResponseHeaders(200, MANIFEST.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(MANIFEST);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        registry = new Registry(new InMemoryDriver(), true, Clock.systemUTC());
        mirror = new Mirror(upstream.singleRemote(Duration.ofMinutes(1)), registry,
                HttpClient.newHttpClient(), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        release.countDown();
        upstream.close();
    }

    /** Starts {@code count} concurrent look-ups of {@code name:1}, lets the upstream answer once they all wait. */
    private List<Future<Optional<ApiResponse>>> concurrently(ExecutorService clients, String name, int count)
            throws InterruptedException {
        List<Future<Optional<ApiResponse>>> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(clients.submit(() -> mirror.manifest(name, "1")));
        }
        while (manifestGets.get() == 0) {
            Thread.sleep(10);
        }
        Thread.sleep(300); // the others are now waiting (or, without sharing, asking upstream too)
        release.countDown();
        return requests;
    }

    @Test
    void concurrentFirstPullsOfATagFetchTheManifestOnce() throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Optional<ApiResponse>> request : concurrently(clients, "up/app", 8)) {
                assertEquals(Optional.empty(), request.get(30, TimeUnit.SECONDS), "served from the cache");
            }
        }
        assertEquals(1, manifestGets.get(), "manifest GETs upstream for 8 concurrent pulls");
        assertEquals(Optional.of(DIGEST), registry.tags().resolve("up/app", "1"));
        assertEquals(1, mirror.counters().remote("up").manifestMisses());
    }

    @Test
    void concurrentPullsOfAManifestTheUpstreamLacksAllGetItsAnswerFromOneRequest() throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Optional<ApiResponse>> request : concurrently(clients, "up/missing", 6)) {
                ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> request.get(30, TimeUnit.SECONDS));
                assertTrue(failure.getCause() instanceof RegistryException, String.valueOf(failure.getCause()));
                assertEquals(ErrorCode.MANIFEST_UNKNOWN, ((RegistryException) failure.getCause()).code());
            }
        }
        assertEquals(1, manifestGets.get(), "manifest GETs upstream for 6 concurrent pulls");
        assertTrue(registry.tags().resolve("up/missing", "1").isEmpty());
    }
}

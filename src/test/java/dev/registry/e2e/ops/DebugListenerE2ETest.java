package dev.registry.e2e.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.registry.e2e.RegistryProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The debug listener of {@code http.debug.addr} on the packaged server: Prometheus metrics checked
 * value by value after known traffic, {@code /debug/health}, {@code /livez} and {@code /readyz}
 * following storage that breaks and is repaired, and no extra port without the key.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DebugListenerE2ETest {
    private static final String USER = "alice";
    private static final String PASSWORD = "s3cret-pass";
    /** bcrypt of {@link #PASSWORD}, made with the jar's {@code htpasswd} command. */
    private static final String HTPASSWD = "alice:$2y$10$D.nmdBxHOwSsk2fVTlEOu.Viod0c9iHtySvEaktxwYkLoTmBwprNK\n";
    private static final String BASIC = "Basic " + Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    /** A packaged server with its debug listener. */
    private record Started(RegistryProcess registry, int debugPort, Path root) implements AutoCloseable {
        String debug(String path) {
            return "http://127.0.0.1:" + debugPort + path;
        }

        String api(String path) {
            return registry.baseUrl() + path;
        }

        @Override
        public void close() throws InterruptedException {
            registry.close();
        }
    }

    /**
     * Starts the jar with {@code yaml} under the generated {@code http} and {@code storage}; the
     * debug listener comes from the environment ({@code REGISTRY_HTTP_DEBUG_*}) as a container would set it.
     */
    private static Started start(String name, String yaml, Map<String, String> debugEnv) throws Exception {
        Path dir = RegistryProcess.workDir(name);
        Path root = dir.resolve("storage");
        Files.createDirectories(root);
        Files.writeString(dir.resolve("htpasswd"), HTPASSWD);
        int port = RegistryProcess.freePort();
        Path config = RegistryProcess.writeConfig(dir, port, root, yaml.replace("HTPASSWD", dir.resolve("htpasswd").toString()));
        int debugPort = debugEnv.isEmpty() ? 0 : RegistryProcess.freePort();
        Map<String, String> env = new java.util.HashMap<>();
        debugEnv.forEach((key, value) -> env.put(key, value.replace("DEBUG_PORT", String.valueOf(debugPort))));
        return new Started(RegistryProcess.startWithConfig(config, port, env), debugPort, root);
    }

    private HttpResponse<String> get(String url, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private PrometheusText scrape(Started server) throws Exception {
        HttpResponse<String> response = get(server.debug("/metrics"));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        return PrometheusText.parse(response.body());
    }

    private static String sha256(byte[] content) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    /** Monolithic push (POST, then PUT with the whole body); returns the digest. */
    private String pushBlob(Started server, String repository, byte[] content) throws Exception {
        HttpResponse<byte[]> started = send("POST", server.api("/v2/" + repository + "/blobs/uploads/"), null,
                "Authorization", BASIC);
        assertEquals(202, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
        String location = started.headers().firstValue("Location").orElseThrow();
        String digest = sha256(content);
        URI put = URI.create(server.api("/")).resolve(location);
        HttpResponse<byte[]> done = send("PUT", put + (put.getRawQuery() == null ? "?" : "&") + "digest=" + digest,
                content, "Authorization", BASIC, "Content-Type", "application/octet-stream");
        assertEquals(201, done.statusCode(), new String(done.body(), StandardCharsets.UTF_8));
        return digest;
    }

    private static String label(String... labels) {
        return String.join(",", labels);
    }

    private static void assertDelta(double expected, PrometheusText before, PrometheusText after, String name, String... labels) {
        double delta = after.valueOrZero(name, labels) - before.valueOrZero(name, labels);
        assertEquals(expected, delta, 0.0, name + "{" + label(labels) + "}");
    }

    private static void assertDeltaAtLeast(double minimum, PrometheusText before, PrometheusText after, String name,
                                           String... labels) {
        double delta = after.valueOrZero(name, labels) - before.valueOrZero(name, labels);
        assertTrue(delta >= minimum, name + "{" + label(labels) + "} grew by " + delta + ", expected at least " + minimum);
    }

    // ---- metrics ----

    @Test
    void metricsCountKnownTrafficExactlyWithoutCredentialsWhileTheApiRequiresThem() throws Exception {
        try (Started server = start("debug-metrics", """
                auth:
                  htpasswd:
                    realm: test
                    path: HTPASSWD
                """, Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:DEBUG_PORT",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"))) {
            // the API wants credentials; the debug listener, on its own port, does not
            assertEquals(401, get(server.api("/v2/")).statusCode());
            assertEquals(2, ListeningSockets.of(server.registry().process().pid()),
                    "the API port and the debug port, nothing else");

            PrometheusText before = scrape(server);
            assertEquals(401, get(server.api("/v2/")).statusCode());
            String wrong = "Basic " + Base64.getEncoder().encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8));
            assertEquals(401, get(server.api("/v2/"), "Authorization", wrong).statusCode());
            assertEquals(200, get(server.api("/v2/"), "Authorization", BASIC).statusCode());

            byte[] layer = new byte[300_001];
            new Random(12).nextBytes(layer);
            byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
            String layerDigest = pushBlob(server, "ops/app", layer);
            String configDigest = pushBlob(server, "ops/app", config);
            byte[] manifest = """
                    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                    .formatted(configDigest, config.length, layerDigest, layer.length).getBytes(StandardCharsets.UTF_8);
            HttpResponse<byte[]> pushed = send("PUT", server.api("/v2/ops/app/manifests/v1"), manifest,
                    "Authorization", BASIC, "Content-Type", "application/vnd.oci.image.manifest.v1+json");
            assertEquals(201, pushed.statusCode(), new String(pushed.body(), StandardCharsets.UTF_8));
            for (int i = 0; i < 2; i++) {
                HttpResponse<byte[]> pulled = send("GET", server.api("/v2/ops/app/manifests/v1"), null,
                        "Authorization", BASIC, "Accept", "application/vnd.oci.image.manifest.v1+json");
                assertEquals(200, pulled.statusCode());
                assertArrayEquals(manifest, pulled.body());
            }
            HttpResponse<byte[]> blob = send("GET", server.api("/v2/ops/app/blobs/" + layerDigest), null, "Authorization", BASIC);
            assertEquals(200, blob.statusCode());
            assertArrayEquals(layer, blob.body());
            String missing = "sha256:" + "0".repeat(64);
            assertEquals(404, send("HEAD", server.api("/v2/ops/app/blobs/" + missing), null, "Authorization", BASIC).statusCode());
            PrometheusText after = scrape(server);

            String requests = "registry_http_requests_seconds_count";
            assertEquals("histogram", after.type("registry_http_requests_seconds"));
            assertDelta(2, before, after, requests, "method", "GET", "route", "base", "status", "4xx");
            assertDelta(1, before, after, requests, "method", "GET", "route", "base", "status", "2xx");
            assertDelta(2, before, after, requests, "method", "POST", "route", "blob_upload", "status", "2xx");
            assertDelta(2, before, after, requests, "method", "PUT", "route", "blob_upload", "status", "2xx");
            assertDelta(1, before, after, requests, "method", "PUT", "route", "manifest", "status", "2xx");
            assertDelta(2, before, after, requests, "method", "GET", "route", "manifest", "status", "2xx");
            assertDelta(1, before, after, requests, "method", "GET", "route", "blob", "status", "2xx");
            assertDelta(1, before, after, requests, "method", "HEAD", "route", "blob", "status", "4xx");
            // the histogram is whole: every request falls in the +Inf bucket and took some time
            assertEquals(after.value(requests, "method", "GET", "route", "blob", "status", "2xx"),
                    after.value("registry_http_requests_seconds_bucket", "method", "GET", "route", "blob", "status", "2xx",
                            "le", "+Inf"), 0.0);
            assertTrue(after.value("registry_http_requests_seconds_sum", "method", "GET", "route", "blob", "status", "2xx") > 0);

            // bytes: exactly the bodies that went each way
            assertDelta(layer.length + config.length, before, after, "registry_http_request_bytes_total", "route", "blob_upload");
            assertDelta(manifest.length, before, after, "registry_http_request_bytes_total", "route", "manifest");
            assertDelta(layer.length, before, after, "registry_http_response_bytes_total", "route", "blob");
            assertDelta(2L * manifest.length, before, after, "registry_http_response_bytes_total", "route", "manifest");

            assertDelta(1, before, after, "registry_auth_failures_total", "reason", "missing_credentials");
            assertDelta(1, before, after, "registry_auth_failures_total", "reason", "invalid_credentials");
            assertDelta(0, before, after, "registry_auth_failures_total", "reason", "denied");
            assertEquals(0, after.value("registry_uploads_in_progress"), 0.0);

            // storage operations by driver, operation and outcome: a missing blob is not_found, not an error
            String storage = "registry_storage_operations_seconds_count";
            assertDeltaAtLeast(1, before, after, storage, "driver", "filesystem", "operation", "stat", "outcome", "not_found");
            assertDeltaAtLeast(3, before, after, storage, "driver", "filesystem", "operation", "put_content", "outcome", "success");
            assertDelta(0, before, after, storage, "driver", "filesystem", "operation", "put_content", "outcome", "error");
            assertDeltaAtLeast(1, before, after, storage, "driver", "filesystem", "operation", "reader", "outcome", "success");

            // the manifest read twice after its push is served from the cache of manifest bytes
            assertDeltaAtLeast(2, before, after, "cache_gets_total", "cache", "manifest_content", "result", "hit");

            // the JVM's own: memory pools, GC, threads, buffer pools
            assertTrue(after.sum("jvm_memory_used_bytes", "area", "heap") > 0);
            assertTrue(after.has("jvm_gc_memory_allocated_bytes_total"));
            assertTrue(after.value("jvm_threads_live_threads") > 0);
            assertEquals(1, after.matching("jvm_buffer_memory_used_bytes", "id", "direct").size());
        }
    }

    @Test
    void uploadsInProgressCountsAnUploadWhileItsBodyStreams() throws Exception {
        try (Started server = start("debug-uploads", "", Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:DEBUG_PORT",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"))) {
            HttpResponse<byte[]> started = send("POST", server.api("/v2/ops/stream/blobs/uploads/"), null);
            assertEquals(202, started.statusCode());
            URI location = URI.create(server.api("/")).resolve(started.headers().firstValue("Location").orElseThrow());
            ChunkFeed body = new ChunkFeed();
            CompletableFuture<HttpResponse<String>> patch = http.sendAsync(HttpRequest.newBuilder(location)
                    .method("PATCH", body.body())
                    .header("Content-Type", "application/octet-stream")
                    .build(), HttpResponse.BodyHandlers.ofString());
            body.add(new byte[100_000]);
            awaitValue(server, "registry_uploads_in_progress", 1);
            body.add(new byte[50_000]);
            body.end();
            HttpResponse<String> patched = patch.get(60, TimeUnit.SECONDS);
            assertEquals(202, patched.statusCode(), patched.body());
            assertEquals("0-149999", patched.headers().firstValue("Range").orElseThrow());
            awaitValue(server, "registry_uploads_in_progress", 0);
            assertEquals(150_000, scrape(server).value("registry_http_request_bytes_total", "route", "blob_upload"), 0.0);
        }
    }

    @Test
    void readyzAnswers503WhileTheServerDrainsAndLivezStill200() throws Exception {
        try (Started server = start("debug-drain", "", Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:DEBUG_PORT",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"))) {
            awaitHealth(server, "/readyz", 200);
            HttpResponse<byte[]> started = send("POST", server.api("/v2/ops/drain/blobs/uploads/"), null);
            assertEquals(202, started.statusCode());
            URI location = URI.create(server.api("/")).resolve(started.headers().firstValue("Location").orElseThrow());
            ChunkFeed body = new ChunkFeed();
            CompletableFuture<HttpResponse<String>> patch = http.sendAsync(HttpRequest.newBuilder(location)
                    .method("PATCH", body.body())
                    .header("Content-Type", "application/octet-stream")
                    .build(), HttpResponse.BodyHandlers.ofString());
            body.add(new byte[10_000]);
            // the upload is in progress on the server before the drain starts, not still on its way
            awaitValue(server, "registry_uploads_in_progress", 1);

            server.registry().process().destroy(); // SIGTERM: the drain waits for the upload
            JsonNode draining = awaitHealth(server, "/readyz", 503);
            assertEquals("shutting down", draining.get("server").asText());
            assertEquals(200, get(server.debug("/livez")).statusCode(), "the process still serves");

            body.add(new byte[5_000]);
            body.end();
            HttpResponse<String> patched = patch.get(60, TimeUnit.SECONDS);
            assertEquals(202, patched.statusCode(), "the upload in progress finishes: " + patched.body());
            assertEquals("0-14999", patched.headers().firstValue("Range").orElseThrow());
            assertTrue(server.registry().process().waitFor(30, TimeUnit.SECONDS), "the server stops after the drain");
        }
    }

    private void awaitValue(Started server, String name, double expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            last = scrape(server).value(name);
            if (last == expected) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " stayed at " + last + ", expected " + expected);
    }

    /**
     * A request body the test hands over piece by piece, so it can look at the server mid-upload.
     * Pushed through a publisher rather than read from a blocking stream, which could hold up the
     * HTTP client's own thread and keep the first piece from being sent.
     */
    private static final class ChunkFeed {
        private final java.util.concurrent.SubmissionPublisher<java.nio.ByteBuffer> publisher =
                new java.util.concurrent.SubmissionPublisher<>();

        HttpRequest.BodyPublisher body() {
            return HttpRequest.BodyPublishers.fromPublisher(publisher);
        }

        /** Waits for the HTTP client to subscribe first: a publisher drops what no subscriber takes. */
        void add(byte[] chunk) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (publisher.getNumberOfSubscribers() == 0) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the HTTP client never subscribed to the request body");
                }
                Thread.sleep(5);
            }
            publisher.submit(java.nio.ByteBuffer.wrap(chunk));
        }

        void end() {
            publisher.close();
        }
    }

    // ---- health ----

    @Test
    void healthFollowsStorageFilesAndHttpChecksAndRecovers() throws Exception {
        AtomicInteger backendStatus = new AtomicInteger(200);
        List<String> backendRequests = new CopyOnWriteArrayList<>();
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/health", exchange -> {
            backendRequests.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("X-Probe"));
            exchange.sendResponseHeaders(backendStatus.get(), -1);
            exchange.close();
        });
        backend.start();
        String backendUri = "http://127.0.0.1:" + backend.getAddress().getPort() + "/health";
        Path down = RegistryProcess.workDir("debug-health-file").resolve("down");
        try (Started server = start("debug-health", """
                health:
                  storagedriver:
                    enabled: true
                    interval: 200ms
                  file:
                    - file: %s
                      interval: 200ms
                  http:
                    - uri: %s
                      headers:
                        X-Probe: [registry]
                      interval: 200ms
                      threshold: 2
                """.formatted(down, backendUri), Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:DEBUG_PORT"))) {
            awaitHealth(server, "/debug/health", 200);
            assertEquals(200, get(server.debug("/readyz")).statusCode());
            assertEquals(200, get(server.debug("/livez")).statusCode());
            assertEquals("{}", get(server.debug("/livez")).body());
            // Prometheus is off unless enabled, as in registry:2
            assertEquals(404, get(server.debug("/metrics")).statusCode());
            assertEquals(405, send("POST", server.debug("/debug/health"), new byte[0]).statusCode());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (backendRequests.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("HEAD registry", backendRequests.get(0), "the check asks with HEAD and the configured header");

            // storage becomes a symbolic link loop: even root cannot list it
            Path moved = server.root().resolveSibling("storage.moved");
            Files.move(server.root(), moved);
            Files.createSymbolicLink(server.root(), server.root().getFileName());
            JsonNode failing = awaitHealth(server, "/debug/health", 503);
            assertEquals(List.of("storagedriver_filesystem"), names(failing));
            assertTrue(failing.get("storagedriver_filesystem").asText().contains("symbolic links"), failing.toString());
            JsonNode unready = awaitHealth(server, "/readyz", 503);
            assertEquals(List.of("storagedriver_filesystem"), names(unready));
            assertEquals(200, get(server.debug("/livez")).statusCode(), "the process still serves");

            // repaired, the check passes again by itself
            Files.delete(server.root());
            Files.move(moved, server.root());
            awaitHealth(server, "/debug/health", 200);
            awaitHealth(server, "/readyz", 200);

            // storage replaced by a regular file: not a directory is not "not found"
            Files.move(server.root(), moved);
            Files.writeString(server.root(), "not a directory");
            assertEquals(List.of("storagedriver_filesystem"), names(awaitHealth(server, "/debug/health", 503)));
            Files.delete(server.root());
            Files.move(moved, server.root());
            awaitHealth(server, "/debug/health", 200);

            // health.file: unhealthy while the file exists
            Files.writeString(down, "maintenance");
            JsonNode fileFailing = awaitHealth(server, "/debug/health", 503);
            assertEquals("file exists", fileFailing.get(down.toString()).asText(), fileFailing.toString());
            assertEquals(200, get(server.debug("/readyz")).statusCode(), "readiness is about storage only");
            Files.delete(down);
            awaitHealth(server, "/debug/health", 200);

            // health.http: unhealthy after two wrong answers in a row, healthy after one right one
            backendStatus.set(503);
            JsonNode httpFailing = awaitHealth(server, "/debug/health", 503);
            assertTrue(httpFailing.get(backendUri).asText().contains("503"), httpFailing.toString());
            backendStatus.set(200);
            awaitHealth(server, "/debug/health", 200);
        } finally {
            backend.stop(0);
        }
    }

    /** Polls {@code path} until it answers {@code status}; returns its JSON body. */
    private JsonNode awaitHealth(Started server, String path, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = get(server.debug(path));
            if (last.statusCode() == status) {
                assertEquals("application/json; charset=utf-8", last.headers().firstValue("Content-Type").orElseThrow());
                JsonNode body = JSON.readTree(last.body());
                if (status == 200) {
                    assertEquals("{}", last.body(), path);
                }
                return body;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(path + " did not answer " + status + " within 30 s; last: "
                + (last == null ? "nothing" : last.statusCode() + " " + last.body()));
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // ---- garbage collection and notifications ----

    /**
     * The online collector's and the notifier's counters reach the scrape: a blob pushed without a
     * manifest is collected after the grace period (one blob, its bytes, its layer link), and of two
     * notification endpoints the live one counts exactly the events it acknowledged while the dead
     * one counts failed POSTs and keeps every event pending.
     */
    @Test
    void garbageCollectionAndNotificationCountersAreExported() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer listener = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        listener.createContext("/events", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        listener.start();
        int deadPort = RegistryProcess.freePort();
        String yaml = String.join("\n",
                "  maintenance:",
                "    garbagecollect:",
                "      enabled: true",
                "      interval: 1s",
                "      graceperiod: 2s",
                "notifications:",
                "  endpoints:",
                "    - name: live",
                "      url: http://127.0.0.1:" + listener.getAddress().getPort() + "/events",
                "      timeout: 2s",
                "      threshold: 1",
                "      backoff: 100ms",
                "    - name: dead",
                "      url: http://127.0.0.1:" + deadPort + "/events",
                "      timeout: 1s",
                "      threshold: 1",
                "      backoff: 100ms",
                "auth:",
                "  htpasswd:",
                "    realm: test",
                "    path: HTPASSWD");
        try (Started server = start("debug-gc-events", yaml, Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:DEBUG_PORT",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"))) {
            PrometheusText before = scrape(server);
            assertEquals(0, before.value("registry_gc_removed_total", "kind", "blob"), 0.0);
            assertEquals(0, before.value("registry_notifications_pending", "endpoint", "dead"), 0.0);

            byte[] orphan = new byte[123_457];
            new Random(7).nextBytes(orphan);
            String digest = pushBlob(server, "ops/orphan", orphan);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            PrometheusText after = scrape(server);
            while (after.value("registry_gc_removed_total", "kind", "blob") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                after = scrape(server);
            }
            assertEquals(1, after.value("registry_gc_removed_total", "kind", "blob"), 0.0, server.registry()::output);
            assertEquals(orphan.length, after.value("registry_gc_reclaimed_bytes_total"), 0.0);
            assertEquals(1, after.value("registry_gc_removed_total", "kind", "layer_link"), 0.0);
            assertTrue(after.value("registry_gc_runs_total") >= 1);
            assertEquals(0, after.value("registry_gc_failures_total"), 0.0);
            assertEquals(404, send("HEAD", server.api("/v2/ops/orphan/blobs/" + digest), null, "Authorization", BASIC).statusCode());

            // one push event for the blob; the live endpoint acknowledges it, the dead one keeps it
            while (System.nanoTime() < deadline
                    && (after.value("registry_notifications_events_total", "endpoint", "live", "outcome", "delivered") < 1
                    || after.value("registry_notifications_failures_total", "endpoint", "dead") < 2)) {
                Thread.sleep(200);
                after = scrape(server);
            }
            int events = 0;
            for (String envelope : received) {
                events += JSON.readTree(envelope).path("events").size();
            }
            assertEquals(1, events, String.join("\n", received));
            assertEquals(events, after.value("registry_notifications_events_total", "endpoint", "live", "outcome", "delivered"), 0.0);
            assertEquals(0, after.value("registry_notifications_pending", "endpoint", "live"), 0.0);
            assertEquals(0, after.value("registry_notifications_events_total", "endpoint", "dead", "outcome", "delivered"), 0.0);
            assertEquals(events, after.value("registry_notifications_pending", "endpoint", "dead"), 0.0);
            assertTrue(after.value("registry_notifications_failures_total", "endpoint", "dead") >= 2,
                    "the dead endpoint is retried");
            assertEquals(0, after.value("registry_notifications_events_total", "endpoint", "dead", "outcome", "dropped"), 0.0);
        } finally {
            listener.stop(0);
        }
    }

    // ---- no debug listener ----

    @Test
    void withoutDebugAddrOnlyTheApiPortListens() throws Exception {
        try (Started server = start("debug-none", "", Map.of())) {
            assertEquals(200, get(server.api("/v2/")).statusCode());
            assertEquals(1, ListeningSockets.of(server.registry().process().pid()));
            assertFalse(server.registry().output().contains("debug listener"), server.registry().output());
        }
    }
}

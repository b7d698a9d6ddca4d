package dev.registry.e2e.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * registry:2's notifications against the packaged server: a local HTTP listener receives the
 * events of pushes, pulls, mounts and deletes with the configured headers and every field a
 * consumer reads; ignore rules; a listener outage; a registry crash with a queue directory; and
 * a dead endpoint that must not slow pushes.
 */
class NotificationsE2ETest {
    private static final String ENVELOPE = "application/vnd.docker.distribution.events.v1+json";
    private static final String USER = "alice";
    private static final String PASSWORD = "alice-Secret-9";

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable closeable : cleanup.reversed()) {
            closeable.close();
        }
    }

    private EventListener listener() throws IOException {
        EventListener listener = EventListener.start(RegistryProcess.freePort());
        cleanup.add(listener);
        return listener;
    }

    /** Starts the registry with {@code extra} (top-level YAML) added to a plain filesystem configuration. */
    private RegistryProcess registry(Path dir, int port, String extra) throws Exception {
        Path config = RegistryProcess.writeConfig(dir, port, dir.resolve("storage"), extra);
        RegistryProcess registry = RegistryProcess.startWithConfig(config, port, Map.of());
        cleanup.add(registry);
        return registry;
    }

    private static String endpoint(String name, String url, String more) {
        return """
                    - name: %s
                      url: %s
                      timeout: 2s
                      threshold: 3
                      backoff: 100ms
                """.formatted(name, url) + more.indent(6);
    }

    /** The jar's own {@code htpasswd} command writes the user's bcrypt entry. */
    private static Path htpasswd(Path dir) throws Exception {
        Path file = dir.resolve("htpasswd");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RegistryProcess.jar().toString(), "htpasswd", file.toString(), USER).redirectErrorStream(true).start();
        process.getOutputStream().write((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "htpasswd did not finish");
        assertEquals(0, process.exitValue(), output);
        return file;
    }

    @Test
    void pushPullMountAndDeleteEventsCarryRegistry2sFields() throws Exception {
        EventListener listener = listener();
        EventListener filtered = listener();
        Path dir = RegistryProcess.workDir("notify-fields");
        int port = RegistryProcess.freePort();
        RegistryProcess registry = registry(dir, port, """
                auth:
                  htpasswd:
                    realm: registry
                    path: %s
                notifications:
                  endpoints:
                %s%s""".formatted(htpasswd(dir),
                endpoint("all", listener.url(), """
                        headers:
                          X-Listener-Token: [token-1]
                          Authorization: [Bearer listener-secret]
                        """),
                endpoint("filtered", filtered.url(), """
                        ignoredmediatypes: [application/octet-stream]
                        ignore:
                          actions: [pull]
                        """)));
        Client client = new Client(registry.baseUrl(), USER, PASSWORD);
        String repo = "team/app";
        String mirror = "team/copy";
        byte[] layer = "layer bytes for the notification test".getBytes(StandardCharsets.UTF_8);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);

        String layerDigest = client.pushBlobInChunks(repo, layer);                      // 1 push blob
        String configDigest = client.pushBlobMonolithic(repo, config);                  // 2 push blob
        byte[] manifest = Client.manifest(configDigest, config.length, layerDigest, layer.length);
        String manifestDigest = client.putManifest(repo, "v1", manifest);               // 3 push manifest (tag v1)
        client.expect(200, "GET", "/v2/" + repo + "/manifests/v1", null,                // 4 pull manifest (tag v1)
                "Accept", Client.OCI_MANIFEST);
        client.expect(200, "HEAD", "/v2/" + repo + "/manifests/" + manifestDigest, null); // 5 pull manifest (digest)
        client.expect(200, "GET", "/v2/" + repo + "/blobs/" + layerDigest, null);      // 6 pull blob
        client.expect(201, "POST", "/v2/" + mirror + "/blobs/uploads/?mount=" + layerDigest + "&from=" + repo, null); // 7 mount
        client.expect(202, "DELETE", "/v2/" + repo + "/manifests/" + manifestDigest, null); // 8 delete manifest, 9 its tag
        client.expect(202, "DELETE", "/v2/" + mirror + "/blobs/" + layerDigest, null); // 10 delete blob
        client.expect(404, "GET", "/v2/" + repo + "/manifests/v1", null);               // no event for a failure

        List<JsonNode> events = listener.awaitEvents(10, Duration.ofSeconds(30));
        String url = registry.baseUrl();
        assertTarget(events.get(0), "push", "application/octet-stream", layer.length, layerDigest, repo, null,
                url + "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertTarget(events.get(1), "push", "application/octet-stream", config.length, configDigest, repo, null,
                url + "/v2/" + repo + "/blobs/" + configDigest, null);
        assertTarget(events.get(2), "push", Client.OCI_MANIFEST, manifest.length, manifestDigest, repo, null,
                url + "/v2/" + repo + "/manifests/" + manifestDigest, "v1");
        assertTarget(events.get(3), "pull", Client.OCI_MANIFEST, manifest.length, manifestDigest, repo, null,
                url + "/v2/" + repo + "/manifests/" + manifestDigest, "v1");
        assertTarget(events.get(4), "pull", Client.OCI_MANIFEST, manifest.length, manifestDigest, repo, null,
                url + "/v2/" + repo + "/manifests/" + manifestDigest, null);
        assertTarget(events.get(5), "pull", "application/octet-stream", layer.length, layerDigest, repo, null,
                url + "/v2/" + repo + "/blobs/" + layerDigest, null);
        assertTarget(events.get(6), "mount", "application/octet-stream", layer.length, layerDigest, mirror, repo,
                url + "/v2/" + mirror + "/blobs/" + layerDigest, null);
        assertTarget(events.get(7), "delete", null, 0, manifestDigest, repo, null, null, null);
        assertTarget(events.get(8), "delete", null, 0, null, repo, null, null, "v1");
        assertTarget(events.get(9), "delete", null, 0, layerDigest, mirror, null, null, null);
        List<String> methods = events.stream().map(e -> e.path("request").path("method").asText()).toList();
        assertEquals(List.of("PUT", "POST", "PUT", "GET", "HEAD", "GET", "POST", "DELETE", "DELETE", "DELETE"), methods);

        Set<String> ids = new HashSet<>();
        String instance = events.get(0).path("source").path("instanceID").asText();
        UUID.fromString(instance);
        for (JsonNode event : events) {
            assertTrue(ids.add(event.path("id").asText()), "event ids are unique: " + event);
            UUID.fromString(event.path("id").asText());
            Instant.parse(event.path("timestamp").asText());
            assertEquals(USER, event.path("actor").path("name").asText(), "actor: " + event);
            JsonNode request = event.path("request");
            assertFalse(request.path("id").asText().isEmpty(), "request id: " + event);
            assertEquals("127.0.0.1", request.path("addr").asText());
            assertEquals("127.0.0.1:" + port, request.path("host").asText());
            assertEquals(Client.USER_AGENT, request.path("useragent").asText());
            assertTrue(event.path("source").path("addr").asText().endsWith(":" + port), "source: " + event);
            assertEquals(instance, event.path("source").path("instanceID").asText());
        }
        assertEquals(events.get(7).path("request").path("id"), events.get(8).path("request").path("id"),
                "the manifest delete and the tag delete it caused come from one request");
        assertNotEquals(events.get(6).path("request").path("id"), events.get(7).path("request").path("id"));
        for (EventListener.Delivery delivery : listener.deliveries()) {
            assertEquals(ENVELOPE, delivery.headers().getFirst("Content-Type"));
            assertEquals("token-1", delivery.headers().getFirst("X-Listener-Token"));
            assertEquals("Bearer listener-secret", delivery.headers().getFirst("Authorization"));
        }

        // Neither pulls nor blob-typed targets: the manifest push and the three deletes.
        List<JsonNode> kept = filtered.awaitEvents(4, Duration.ofSeconds(30));
        assertEquals(List.of("push", "delete", "delete", "delete"), kept.stream().map(e -> e.path("action").asText()).toList());
        assertEquals(manifestDigest, kept.get(0).path("target").path("digest").asText());
        assertEquals(List.of(), filtered.deliveries().stream()
                .filter(d -> d.headers().containsKey("X-Listener-Token")).toList(), "headers are per endpoint");
        assertFalse(registry.output().contains("ERROR"), registry.output());
    }

    private static void assertTarget(JsonNode event, String action, String mediaType, long size, String digest,
                                     String repository, String fromRepository, String url, String tag) {
        String what = event.toString();
        assertEquals(action, event.path("action").asText(), what);
        JsonNode target = event.path("target");
        assertEquals(mediaType, text(target, "mediaType"), what);
        assertEquals(size, target.path("size").asLong(0), what);
        assertEquals(size, target.path("length").asLong(0), what);
        assertEquals(digest, text(target, "digest"), what);
        assertEquals(repository, text(target, "repository"), what);
        assertEquals(fromRepository, text(target, "fromRepository"), what);
        assertEquals(url, text(target, "url"), what);
        assertEquals(tag, text(target, "tag"), what);
        if (size == 0) {
            assertFalse(target.has("size") || target.has("length"), "registry:2 leaves zero sizes out: " + what);
        }
    }

    private static String text(JsonNode node, String field) {
        return node.has(field) ? node.get(field).asText() : null;
    }

    /** Pushes {@code count} small images, each of one layer, one config and a tagged manifest; returns the expected events. */
    private static List<String> pushImages(Client client, String repo, int count) throws Exception {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] layer = ("layer " + i + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
            byte[] config = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
            String layerDigest = client.pushBlobInChunks(repo, layer);
            String configDigest = client.pushBlobMonolithic(repo, config);
            String manifest = client.putManifest(repo, "t" + i, Client.manifest(configDigest, config.length, layerDigest, layer.length));
            expected.add("push " + layerDigest);
            expected.add("push " + configDigest);
            expected.add("push " + manifest + " t" + i);
        }
        return expected;
    }

    private static List<String> summary(List<JsonNode> events) {
        return events.stream().map(e -> e.path("action").asText() + " " + e.path("target").path("digest").asText()
                + (e.path("target").has("tag") ? " " + e.path("target").path("tag").asText() : "")).toList();
    }

    @Test
    void eventsQueuedDuringAListenerOutageAllArriveInOrder() throws Exception {
        EventListener listener = listener();
        listener.stop();
        Path dir = RegistryProcess.workDir("notify-outage");
        int port = RegistryProcess.freePort();
        RegistryProcess registry = registry(dir, port, "notifications:\n  events: {includereferences: true}\n  endpoints:\n"
                + endpoint("ci", listener.url(), "ignore: {actions: [pull]}"));
        Client client = new Client(registry.baseUrl(), null, null);

        List<String> expected = pushImages(client, "outage/app", 8);
        Thread.sleep(1_500); // several attempts fail, past the threshold, into the backoff
        assertEquals(List.of(), listener.events());
        listener.start();

        List<JsonNode> events = listener.awaitEvents(expected.size(), Duration.ofSeconds(30));
        assertEquals(expected, summary(events));
        assertTrue(registry.output().contains("notifications to ci"), "the outage is logged:\n" + registry.output());
        assertTrue(events.stream().allMatch(e -> !e.path("actor").has("name")), "anonymous requests name no actor");
        JsonNode manifestPush = events.get(2).path("target");
        assertEquals(List.of(events.get(1).path("target").path("digest").asText(), events.get(0).path("target").path("digest").asText()),
                List.of(manifestPush.path("references").get(0).path("digest").asText(),
                        manifestPush.path("references").get(1).path("digest").asText()),
                "includereferences lists the config and the layer: " + manifestPush);
        assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", manifestPush.path("references").get(1).path("mediaType").asText());
        assertFalse(events.get(0).path("target").has("references"), "blob events have no references");
    }

    @Test
    void withAQueueDirectoryQueuedEventsSurviveARegistryCrash() throws Exception {
        EventListener listener = listener();
        listener.stop();
        Path dir = RegistryProcess.workDir("notify-crash");
        int port = RegistryProcess.freePort();
        String notifications = "notifications:\n  queue:\n    directory: " + dir.resolve("events") + "\n  endpoints:\n"
                + endpoint("ci", listener.url(), "ignore: {actions: [pull]}");
        RegistryProcess first = registry(dir, port, notifications);
        List<String> expected = pushImages(new Client(first.baseUrl(), null, null), "crash/app", 4);
        Thread.sleep(1_000); // the delivery thread has moved every event to disk by now
        first.kill();

        RegistryProcess second = registry(dir, port, notifications);
        expected.addAll(pushImages(new Client(second.baseUrl(), null, null), "crash/app", 1));
        listener.start();

        List<JsonNode> events = listener.awaitEvents(expected.size(), Duration.ofSeconds(30));
        assertEquals(expected, summary(events), "the events from before the crash first, then the new ones");
        assertNotEquals(events.get(0).path("source").path("instanceID"), events.getLast().path("source").path("instanceID"),
                "each process has its own instance id");
        assertTrue(second.output().contains("undelivered event(s) from before the restart"), second.output());
    }

    @Test
    void aDeadEndpointDoesNotSlowPushes() throws Exception {
        // Accepts connections and never answers: every POST waits for the endpoint's timeout.
        ServerSocket blackHole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        List<Socket> held = new ArrayList<>();
        Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!blackHole.isClosed()) {
                try {
                    held.add(blackHole.accept());
                } catch (IOException e) {
                    return;
                }
            }
        });
        cleanup.add(() -> {
            blackHole.close();
            acceptor.join(2_000);
            for (Socket socket : held) {
                socket.close();
            }
        });
        Path plainDir = RegistryProcess.workDir("notify-plain");
        RegistryProcess plain = registry(plainDir, RegistryProcess.freePort(), "");
        Path deadDir = RegistryProcess.workDir("notify-dead");
        RegistryProcess dead = registry(deadDir, RegistryProcess.freePort(), """
                notifications:
                  endpoints:
                    - name: blackhole
                      url: http://127.0.0.1:%d/events
                      timeout: 5s
                      threshold: 1
                      backoff: 1s
                """.formatted(blackHole.getLocalPort()));

        Client toPlain = new Client(plain.baseUrl(), null, null);
        Client toDead = new Client(dead.baseUrl(), null, null);
        pushImages(toPlain, "warm/up", 2);
        pushImages(toDead, "warm/up", 2);
        // Alternating rounds, so that the machine's load falls on both alike.
        long plainNanos = 0;
        long deadNanos = 0;
        for (int round = 0; round < 3; round++) {
            plainNanos += timedPushes(toPlain, 4);
            deadNanos += timedPushes(toDead, 4);
        }
        System.out.printf("12 image pushes: %d ms without notifications, %d ms with a dead endpoint%n",
                plainNanos / 1_000_000, deadNanos / 1_000_000);
        // Were an event ever waited for, one push would take the 5 s timeout; 12 pushes at least 60 s.
        assertTrue(deadNanos < 3 * plainNanos + TimeUnit.SECONDS.toNanos(3),
                "12 pushes took " + deadNanos / 1_000_000 + " ms with a dead endpoint, " + plainNanos / 1_000_000 + " ms without");
        assertFalse(held.isEmpty(), "the registry did try the dead endpoint");
    }

    /** {@code count} image pushes; fails if any one of them takes as long as the dead endpoint's timeout. */
    private static long timedPushes(Client client, int count) throws Exception {
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long push = System.nanoTime();
            pushImages(client, "timed/app", 1);
            long took = System.nanoTime() - push;
            assertTrue(took < TimeUnit.SECONDS.toNanos(4), "push " + i + " took " + took / 1_000_000 + " ms");
        }
        return System.nanoTime() - started;
    }

    @Test
    void disabledEndpointsAndUnusedSectionsSendNothing() throws Exception {
        EventListener listener = listener();
        Path dir = RegistryProcess.workDir("notify-disabled");
        RegistryProcess registry = registry(dir, RegistryProcess.freePort(), "notifications:\n  endpoints:\n"
                + endpoint("paused", listener.url(), "disabled: true"));

        pushImages(new Client(registry.baseUrl(), null, null), "quiet/app", 1);
        Thread.sleep(1_000);

        assertEquals(List.of(), listener.deliveries());
        assertTrue(registry.output().contains("endpoint paused is disabled"), registry.output());
    }
}

package dev.registry.e2e.durability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills the packaged server with SIGKILL while many clients push chunked blobs, manifests and
 * tags, restarts it on the same directory, and checks that everything acknowledged with a 201 is
 * there byte for byte, that nothing visible is partial, and that every tag any listing shows
 * resolves. Three kill-and-restart cycles on the same directory.
 */
class CrashRecoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final int CYCLES = 3;
    private static final int WORKERS = 8;
    /**
     * Each image is also tagged with this many new tags: a tag's directory is made by its first
     * push, so new tags are where a crash can leave a half-written tag behind.
     */
    private static final int NEW_TAGS_PER_IMAGE = 4;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    /** blob digest -> repository, for every blob push answered 201 */
    private final Map<String, String> ackedBlobs = new ConcurrentHashMap<>();
    /** manifest digest -> repository, for every manifest push answered 201 */
    private final Map<String, String> ackedManifests = new ConcurrentHashMap<>();
    /** "repo:tag" -> every manifest digest ever pushed to that tag (acknowledged or not) */
    private final Map<String, List<String>> tagHistory = new ConcurrentHashMap<>();
    private final Map<String, String> ackedTags = new ConcurrentHashMap<>();

    /** Where the server stores; a subclass on another store ignores it. */
    protected Path root;

    /** Starts the server on the test's store (again, after the kill). */
    protected RegistryProcess startRegistry() throws Exception {
        return RegistryProcess.start(root);
    }

    /** How long the pushers may take to get 40 manifests acknowledged before the kill. */
    protected Duration pushPhase() {
        return Duration.ofSeconds(30);
    }

    /** Every published blob's stored bytes, by the digest its path names ("sha256:..."). */
    protected Map<String, byte[]> publishedBlobs() throws IOException {
        Map<String, byte[]> published = new HashMap<>();
        Path blobs = root.resolve("docker/registry/v2/blobs/sha256");
        try (Stream<Path> files = Files.walk(blobs)) {
            for (Path data : files.filter(p -> p.getFileName().toString().equals("data")).toList()) {
                published.put("sha256:" + data.getParent().getFileName(), Files.readAllBytes(data));
            }
        }
        return published;
    }

    @Test
    void sigkillDuringConcurrentPushesLosesNothingAcknowledged() throws Exception {
        root = RegistryProcess.workDir("crash").resolve("storage");
        RegistryProcess registry = startRegistry();
        try {
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                pushUntilKilled(registry, cycle);
                registry = startRegistry();
                verifyAfterRestart(registry, cycle);
            }
        } finally {
            registry.close();
        }
    }

    /** Runs {@link #WORKERS} pushers against {@code registry} and kills it in the middle of their writes. */
    private void pushUntilKilled(RegistryProcess registry, int cycle) throws Exception {
        String base = registry.baseUrl();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger failuresBeforeKill = new AtomicInteger();
        int ackedBefore = ackedManifests.size();
        ExecutorService pushers = Executors.newFixedThreadPool(WORKERS);
        for (int worker = 0; worker < WORKERS; worker++) {
            int id = worker;
            pushers.submit(() -> {
                Random random = new Random(cycle * 1000L + id);
                int round = 0;
                while (!stop.get()) {
                    try {
                        pushImage(base, "crash/w" + id, "t" + (round % 3), "c" + cycle + "-r" + round, random);
                    } catch (Exception e) {
                        if (!killed.get()) {
                            failuresBeforeKill.incrementAndGet();
                        }
                    }
                    round++;
                }
            });
        }
        long deadline = System.nanoTime() + pushPhase().toNanos();
        while (ackedManifests.size() - ackedBefore < 40 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(150); // be sure to land in the middle of writes
        killed.set(true);
        registry.kill();
        stop.set(true);
        pushers.shutdown();
        assertTrue(pushers.awaitTermination(60, TimeUnit.SECONDS));
        assertEquals(0, failuresBeforeKill.get(), "pushes failed before the kill in cycle " + cycle + ":\n" + registry.output());
        assertTrue(ackedManifests.size() - ackedBefore >= 10,
                "too few pushes were acknowledged to prove anything: " + (ackedManifests.size() - ackedBefore));
    }

    private void verifyAfterRestart(RegistryProcess restarted, int cycle) throws Exception {
        String again = restarted.baseUrl();
        for (Map.Entry<String, String> blob : ackedBlobs.entrySet()) {
            HttpResponse<byte[]> response = get(again + "/v2/" + blob.getValue() + "/blobs/" + blob.getKey());
            assertEquals(200, response.statusCode(), "acknowledged blob " + blob.getKey() + " lost");
            assertEquals(blob.getKey(), sha256(response.body()), "acknowledged blob " + blob.getKey() + " corrupt");
        }
        for (Map.Entry<String, String> manifest : ackedManifests.entrySet()) {
            HttpResponse<byte[]> response = get(again + "/v2/" + manifest.getValue() + "/manifests/" + manifest.getKey());
            assertEquals(200, response.statusCode(), "acknowledged manifest " + manifest.getKey() + " lost");
            assertEquals(manifest.getKey(), sha256(response.body()));
        }
        for (Map.Entry<String, String> tag : ackedTags.entrySet()) {
            String[] repoTag = tag.getKey().split(":");
            HttpResponse<byte[]> response = get(again + "/v2/" + repoTag[0] + "/manifests/" + repoTag[1]);
            assertEquals(200, response.statusCode(), "acknowledged tag " + tag.getKey() + " lost");
            String served = response.headers().firstValue("Docker-Content-Digest").orElseThrow();
            assertEquals(served, sha256(response.body()), "tag " + tag.getKey() + " serves partial content");
            // a later push to the same tag may have completed without its 201 reaching us
            assertTrue(tagHistory.get(tag.getKey()).contains(served), "tag " + tag.getKey() + " points at " + served);
            verifyManifestBlobs(again, repoTag[0], response.body());
        }
        // every tag that any listing shows resolves to a whole manifest that was pushed to it
        JsonNode catalog = JSON.readTree(get(again + "/v2/_catalog").body());
        int listed = 0;
        for (JsonNode repository : catalog.get("repositories")) {
            String name = repository.asText();
            HttpResponse<byte[]> list = get(again + "/v2/" + name + "/tags/list");
            assertEquals(200, list.statusCode(), "tags/list of " + name);
            for (JsonNode tag : JSON.readTree(list.body()).get("tags")) {
                String key = name + ":" + tag.asText();
                HttpResponse<byte[]> response = get(again + "/v2/" + name + "/manifests/" + tag.asText());
                assertEquals(200, response.statusCode(), "cycle " + cycle + ": tag " + key + " is listed but does not resolve");
                String served = response.headers().firstValue("Docker-Content-Digest").orElseThrow();
                assertEquals(served, sha256(response.body()), "tag " + key + " serves partial content");
                assertTrue(tagHistory.getOrDefault(key, List.of()).contains(served),
                        "listed tag " + key + " points at " + served + ", which was never pushed to it");
                verifyManifestBlobs(again, name, response.body());
                listed++;
            }
        }
        assertTrue(listed >= ackedTags.size(), "listings show " + listed + " tags, fewer than the "
                + ackedTags.size() + " acknowledged");
        // no half-written blob was published: every stored blob matches its digest
        Map<String, byte[]> published = publishedBlobs();
        assertTrue(published.keySet().containsAll(ackedBlobs.keySet()), "acknowledged blobs missing from the store");
        for (Map.Entry<String, byte[]> blob : published.entrySet()) {
            assertEquals(blob.getKey(), sha256(blob.getValue()), "published blob " + blob.getKey() + " is partial");
        }
        assertFalse(restarted.output().contains("ERROR"), restarted.output());
    }

    private void verifyManifestBlobs(String base, String repository, byte[] manifest) throws Exception {
        JsonNode root = JSON.readTree(manifest);
        List<JsonNode> descriptors = new ArrayList<>();
        descriptors.add(root.get("config"));
        root.get("layers").forEach(descriptors::add);
        for (JsonNode descriptor : descriptors) {
            String digest = descriptor.get("digest").asText();
            HttpResponse<byte[]> blob = get(base + "/v2/" + repository + "/blobs/" + digest);
            assertEquals(200, blob.statusCode(), "blob " + digest + " of a visible manifest is missing");
            assertEquals(digest, sha256(blob.body()));
        }
    }

    /**
     * Pushes two chunked layers and a config, then the manifest by {@code tag} and under
     * {@link #NEW_TAGS_PER_IMAGE} new tags starting with {@code newTagPrefix}; records what was
     * acknowledged.
     */
    private void pushImage(String base, String repository, String tag, String newTagPrefix, Random random)
            throws Exception {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + random.nextLong() + "}").getBytes(StandardCharsets.UTF_8);
        byte[] layer1 = new byte[64 * 1024 + random.nextInt(256 * 1024)];
        byte[] layer2 = new byte[1024 + random.nextInt(64 * 1024)];
        random.nextBytes(layer1);
        random.nextBytes(layer2);
        String configDigest = pushChunked(base, repository, config, random);
        String layer1Digest = pushChunked(base, repository, layer1, random);
        String layer2Digest = pushChunked(base, repository, layer2, random);
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d},
                           {"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(OCI_MANIFEST, configDigest, config.length, layer1Digest, layer1.length, layer2Digest, layer2.length);
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        pushManifest(base, repository, tag, bytes);
        for (int i = 0; i < NEW_TAGS_PER_IMAGE; i++) {
            pushManifest(base, repository, newTagPrefix + "-" + i, bytes);
        }
    }

    private void pushManifest(String base, String repository, String tag, byte[] bytes) throws Exception {
        String digest = sha256(bytes);
        tagHistory.computeIfAbsent(repository + ":" + tag, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(digest);
        HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        check(put, 201);
        ackedManifests.put(digest, repository);
        ackedTags.put(repository + ":" + tag, digest);
    }

    private String pushChunked(String base, String repository, byte[] content, Random random) throws Exception {
        HttpResponse<byte[]> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        check(started, 202);
        String location = URI.create(base + "/").resolve(started.headers().firstValue("Location").orElseThrow()).toString();
        int offset = 0;
        while (offset < content.length) {
            int length = Math.min(content.length - offset, 16 * 1024 + random.nextInt(48 * 1024));
            HttpResponse<byte[]> patched = http.send(HttpRequest.newBuilder(URI.create(location))
                    .header("Content-Range", offset + "-" + (offset + length - 1))
                    .header("Content-Type", "application/octet-stream")
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(content, offset, length)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            check(patched, 202);
            location = URI.create(base + "/").resolve(patched.headers().firstValue("Location").orElseThrow()).toString();
            offset += length;
        }
        String digest = sha256(content);
        HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(URI.create(location + "?digest=" + digest))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        check(put, 201);
        ackedBlobs.put(digest, repository);
        return digest;
    }

    private static void check(HttpResponse<byte[]> response, int expected) throws IOException {
        if (response.statusCode() != expected) {
            throw new IOException("expected " + expected + " but got " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}

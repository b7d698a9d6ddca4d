package dev.registry.e2e.replicas;

import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three replicas of the packaged server on one shared store, each request sent to a chosen
 * replica as a round-robin load balancer without sticky sessions would: uploads whose chunks
 * each go to another replica, and the visibility rules of docs/storage.md (a tag pushed, moved or
 * deleted, a manifest deleted, a new repository: seen by every replica within one second).
 * A subclass names the store.
 */
abstract class SharedStoreReplicasContract {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final long VISIBLE_WITHIN_NANOS = 1_000_000_000L;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected final List<RegistryProcess> replicas = new ArrayList<>();

    /** The {@code storage:} driver section (indented two spaces) every replica shares. */
    protected abstract String storageYaml(Path work) throws Exception;

    @BeforeEach
    void startReplicas() throws Exception {
        Path work = RegistryProcess.workDir(getClass().getSimpleName());
        String storage = storageYaml(work);
        for (int i = 0; i < 3; i++) {
            int port = RegistryProcess.freePort();
            Path dir = Files.createDirectories(work.resolve("replica-" + i));
            Path config = RegistryProcess.writeConfig(dir, port, storage, "");
            // generous: three JVMs start at once, and a cloud driver checks its bucket first
            replicas.add(RegistryProcess.startWithConfig(config, port, Map.of(), Duration.ofSeconds(90)));
        }
    }

    @AfterEach
    void stopReplicas() throws Exception {
        for (RegistryProcess replica : replicas) {
            replica.close();
        }
    }

    private String url(int replica, String path) {
        return replicas.get(replica % replicas.size()).baseUrl() + path;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha256(byte[] content) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Absolute form of an upload Location, pointed at another replica (the path is the same on all). */
    private String onReplica(int replica, String location) {
        String path = location.startsWith("http") ? URI.create(location).getRawPath() + queryOf(location) : location;
        return url(replica, path);
    }

    private static String queryOf(String location) {
        String query = URI.create(location).getRawQuery();
        return query == null ? "" : "?" + query;
    }

    @Test
    void chunkedUploadWithEveryPatchOnAnotherReplica() throws Exception {
        byte[] blob = new byte[7 * 1024 * 1024 + 123];
        new Random(3).nextBytes(blob);
        String digest = sha256(blob);
        HttpResponse<byte[]> started = send(HttpRequest.newBuilder(URI.create(url(0, "/v2/rr/app/blobs/uploads/")))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(202, started.statusCode(), text(started));
        String location = started.headers().firstValue("Location").orElseThrow();
        int[] chunkSizes = {1, 1_000_000, 63, 3_000_000, 64 * 1024 + 1};
        int offset = 0;
        int replica = 1;
        for (int size : chunkSizes) {
            HttpResponse<byte[]> patched = send(HttpRequest.newBuilder(URI.create(onReplica(replica, location)))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", offset + "-" + (offset + size - 1))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(blob, offset, size)));
            assertEquals(202, patched.statusCode(), "PATCH on replica " + replica + ": " + text(patched));
            offset += size;
            assertEquals("0-" + (offset - 1), patched.headers().firstValue("Range").orElseThrow());
            location = patched.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> status = send(HttpRequest.newBuilder(URI.create(onReplica(replica + 1, location))).GET());
            assertEquals(204, status.statusCode(), text(status));
            assertEquals("0-" + (offset - 1), status.headers().firstValue("Range").orElseThrow());
            replica++;
        }
        // the rest with the closing PUT, on yet another replica
        String separator = location.contains("?") ? "&" : "?";
        HttpResponse<byte[]> put = send(HttpRequest.newBuilder(URI.create(onReplica(replica, location) + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", offset + "-" + (blob.length - 1))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob, offset, blob.length - offset)));
        assertEquals(201, put.statusCode(), text(put));
        assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElseThrow());
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> pulled = send(HttpRequest.newBuilder(URI.create(url(i, "/v2/rr/app/blobs/" + digest))).GET());
            assertEquals(200, pulled.statusCode());
            assertArrayEquals(blob, pulled.body(), "blob from replica " + i);
        }
    }

    /**
     * A replica that took a chunk does not read the upload's start time again for the next one;
     * after the upload was cancelled, or finished, through another replica, a chunk sent to the
     * first must still be refused as unknown, and leave nothing behind.
     */
    @Test
    void aChunkAfterTheUploadEndedOnAnotherReplicaIsUnknown() throws Exception {
        byte[] first = new byte[6 * 1024 * 1024];
        new Random(5).nextBytes(first);
        for (boolean cancel : new boolean[] {true, false}) {
            HttpResponse<byte[]> started = send(HttpRequest.newBuilder(URI.create(url(0, "/v2/rr/ended/blobs/uploads/")))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(202, started.statusCode(), text(started));
            String location = started.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> patched = send(HttpRequest.newBuilder(URI.create(onReplica(0, location)))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", "0-" + (first.length - 1))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(first)));
            assertEquals(202, patched.statusCode(), text(patched));
            location = patched.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> ended;
            if (cancel) {
                ended = send(HttpRequest.newBuilder(URI.create(onReplica(1, location))).DELETE());
                assertEquals(204, ended.statusCode(), text(ended));
            } else {
                String separator = location.contains("?") ? "&" : "?";
                ended = send(HttpRequest.newBuilder(URI.create(onReplica(1, location) + separator + "digest=" + sha256(first)))
                        .PUT(HttpRequest.BodyPublishers.noBody()));
                assertEquals(201, ended.statusCode(), text(ended));
            }
            HttpResponse<byte[]> late = send(HttpRequest.newBuilder(URI.create(onReplica(0, location)))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", first.length + "-" + (first.length + 99))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(first, 0, 100)));
            assertEquals(404, late.statusCode(), (cancel ? "after cancel: " : "after completion: ") + text(late));
            assertTrue(text(late).contains("BLOB_UPLOAD_UNKNOWN"), text(late));
            HttpResponse<byte[]> status = send(HttpRequest.newBuilder(URI.create(onReplica(2, location))).GET());
            assertEquals(404, status.statusCode(), "the late chunk brought the upload back: " + text(status));
        }
    }

    @Test
    void tagPushMoveAndDeleteAreSeenByEveryReplicaWithinASecond() throws Exception {
        String first = pushManifest(0, "vis/app", "latest", "first");
        awaitEverywhere("/v2/vis/app/manifests/latest", r -> r.statusCode() == 200 && first.equals(digestOf(r)));

        String second = pushManifest(1, "vis/app", "latest", "second");
        awaitEverywhere("/v2/vis/app/manifests/latest", r -> r.statusCode() == 200 && second.equals(digestOf(r)));

        HttpResponse<byte[]> deleted = send(HttpRequest.newBuilder(URI.create(url(2, "/v2/vis/app/manifests/latest"))).DELETE());
        assertEquals(202, deleted.statusCode(), text(deleted));
        awaitEverywhere("/v2/vis/app/manifests/latest", r -> r.statusCode() == 404);
        awaitEverywhere("/v2/vis/app/tags/list", r -> r.statusCode() == 200 && text(r).contains("\"tags\":[]"));
    }

    @Test
    void aDeletedManifestAnswers404EverywhereWithinASecond() throws Exception {
        String digest = pushManifest(0, "del/app", "v1", "to delete");
        for (int i = 0; i < 3; i++) { // every replica has served (and could have cached) it
            assertEquals(200, send(HttpRequest.newBuilder(URI.create(url(i, "/v2/del/app/manifests/" + digest)))
                    .header("Accept", OCI_MANIFEST).GET()).statusCode());
        }
        HttpResponse<byte[]> deleted = send(HttpRequest.newBuilder(URI.create(url(1, "/v2/del/app/manifests/" + digest))).DELETE());
        assertEquals(202, deleted.statusCode(), text(deleted));
        awaitEverywhere("/v2/del/app/manifests/" + digest, r -> r.statusCode() == 404);
        awaitEverywhere("/v2/del/app/manifests/v1", r -> r.statusCode() == 404);
    }

    @Test
    void aNewRepositoryAppearsInEveryCatalogWithinASecond() throws Exception {
        pushManifest(0, "cat/one", "v1", "one");
        awaitEverywhere("/v2/_catalog", r -> text(r).contains("\"cat/one\""));
        pushManifest(2, "cat/two", "v1", "two");
        awaitEverywhere("/v2/_catalog", r -> text(r).contains("\"cat/two\""));
    }

    @Test
    void concurrentPushesOfOneTagThroughDifferentReplicasEndWithOneWinner() throws Exception {
        List<Callable<String>> pushes = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            int replica = i;
            pushes.add(() -> pushManifest(replica, "race/app", "contested", "push " + replica));
        }
        List<String> pushed = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(9)) {
            for (Future<String> push : pool.invokeAll(pushes)) {
                pushed.add(push.get());
            }
        }
        String winner = digestOf(send(HttpRequest.newBuilder(URI.create(url(0, "/v2/race/app/manifests/contested")))
                .header("Accept", OCI_MANIFEST).GET()));
        assertTrue(pushed.contains(winner), winner + " is not one of " + pushed);
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> got = send(HttpRequest.newBuilder(URI.create(url(i, "/v2/race/app/manifests/contested")))
                    .header("Accept", OCI_MANIFEST).GET());
            assertEquals(winner, digestOf(got));
            assertEquals(winner, sha256(got.body()), "the bytes are the winner's, whole");
        }
        for (String digest : pushed) { // every push is intact by digest
            HttpResponse<byte[]> got = send(HttpRequest.newBuilder(URI.create(url(2, "/v2/race/app/manifests/" + digest)))
                    .header("Accept", OCI_MANIFEST).GET());
            assertEquals(200, got.statusCode());
            assertEquals(digest, sha256(got.body()));
        }
    }

    /**
     * The same large blob pushed monolithically through every replica at once (on S3 each push is
     * its own multipart upload of the blob's key), and a push whose digest is wrong: every push
     * that was acknowledged is whole everywhere, and the wrong one stored nothing.
     */
    @Test
    void concurrentMonolithicPushesOfOneBlobAndAWrongDigest() throws Exception {
        byte[] blob = new byte[12 * 1024 * 1024 + 5];
        new Random(11).nextBytes(blob);
        String digest = sha256(blob);
        List<Callable<HttpResponse<byte[]>>> pushes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int replica = i % 3;
            pushes.add(() -> monolithicPush(replica, "mono/app" + replica, digest, blob));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (Future<HttpResponse<byte[]>> push : pool.invokeAll(pushes)) {
                HttpResponse<byte[]> pushed = push.get();
                assertEquals(201, pushed.statusCode(), text(pushed));
                assertEquals(digest, digestOf(pushed));
                assertTrue(pushed.headers().firstValue("Location").orElse("").endsWith("/blobs/" + digest),
                        pushed.headers().toString());
            }
        }
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> pulled = send(HttpRequest.newBuilder(URI.create(url(i, "/v2/mono/app" + ((i + 1) % 3) + "/blobs/" + digest))).GET());
            assertEquals(200, pulled.statusCode());
            assertEquals(digest, sha256(pulled.body()), "blob from replica " + i);
        }

        byte[] other = new byte[6 * 1024 * 1024 + 7];
        new Random(12).nextBytes(other);
        String wrong = sha256(new byte[]{1, 2, 3});
        HttpResponse<byte[]> refused = monolithicPush(1, "mono/wrong", wrong, other);
        assertEquals(400, refused.statusCode(), text(refused));
        assertTrue(text(refused).contains("DIGEST_INVALID"), text(refused));
        for (String d : List.of(wrong, sha256(other))) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<byte[]> head = send(HttpRequest.newBuilder(URI.create(url(i, "/v2/mono/wrong/blobs/" + d)))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()));
                assertEquals(404, head.statusCode(), d + " on replica " + i);
            }
        }
    }

    private HttpResponse<byte[]> monolithicPush(int replica, String repo, String digest, byte[] blob) throws Exception {
        HttpResponse<byte[]> started = send(HttpRequest.newBuilder(URI.create(url(replica, "/v2/" + repo + "/blobs/uploads/")))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(202, started.statusCode(), text(started));
        String location = started.headers().firstValue("Location").orElseThrow();
        String separator = location.contains("?") ? "&" : "?";
        return send(HttpRequest.newBuilder(URI.create(onReplica(replica, location) + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)));
    }

    private static String digestOf(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Docker-Content-Digest").orElse("");
    }

    /** Polls every replica until {@code seen} holds, failing if one takes longer than a second. */
    private void awaitEverywhere(String path, Predicate<HttpResponse<byte[]>> seen) throws Exception {
        long start = System.nanoTime();
        boolean[] done = new boolean[replicas.size()];
        while (true) {
            boolean all = true;
            for (int i = 0; i < replicas.size(); i++) {
                if (!done[i]) {
                    done[i] = seen.test(send(HttpRequest.newBuilder(URI.create(url(i, path))).header("Accept", OCI_MANIFEST).GET()));
                    all &= done[i];
                }
            }
            if (all) {
                return;
            }
            if (System.nanoTime() - start > VISIBLE_WITHIN_NANOS) {
                fail(path + " not seen within 1 s by replicas " + Arrays.toString(done));
            }
            Thread.sleep(25);
        }
    }

    /** Pushes a config blob and a manifest naming it through one replica; returns the manifest digest. */
    private String pushManifest(int replica, String repo, String tag, String marker) throws Exception {
        byte[] config = ("{\"marker\":\"" + marker + "\"}").getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        HttpResponse<byte[]> blob = send(HttpRequest.newBuilder(URI.create(url(replica, "/v2/" + repo + "/blobs/uploads/?digest=" + configDigest)))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(config)));
        assertEquals(201, blob.statusCode(), text(blob));
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length
                + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = send(HttpRequest.newBuilder(URI.create(url(replica, "/v2/" + repo + "/manifests/" + tag)))
                .header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)));
        assertEquals(201, put.statusCode(), text(put));
        return sha256(manifest);
    }
}

package dev.registry.e2e.api;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static dev.registry.e2e.api.RegistryClient.withDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several clients at once on the same blob, the same tag, the same repository. */
class ConcurrencyTest extends ApiTestBase {
    private static final int THREADS = 8;

    /** Runs {@code task} on {@link #THREADS} threads released together; returns their results in order. */
    private <T> List<T> together(IndexedTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch ready = new CountDownLatch(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                int index = i;
                Callable<T> call = () -> {
                    ready.countDown();
                    go.await();
                    return task.run(index);
                };
                futures.add(pool.submit(call));
            }
            assertTrue(ready.await(30, TimeUnit.SECONDS));
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    interface IndexedTask<T> {
        T run(int index) throws Exception;
    }

    @Test
    void samePushedBlobFromEightSessions() throws Exception {
        String repo = repo("conc");
        byte[] data = Digests.randomBytes(2 * 1024 * 1024 + 17);
        String digest = Digests.sha256(data);
        List<ApiResponse> results = together(i -> {
            // each thread: its own session, one streamed chunk, then the rest with the closing PUT
            String location = client.newUpload(repo);
            ApiResponse patch = client.sendStreaming("PATCH", location,
                    () -> new ByteArrayInputStream(data, 0, 1024 * 1024), "Content-Type", "application/octet-stream");
            assertStatus(202, patch);
            return client.put(withDigest(client.location(patch), digest),
                    java.util.Arrays.copyOfRange(data, 1024 * 1024, data.length), "Content-Type", "application/octet-stream");
        });
        for (ApiResponse put : results) {
            assertStatus(201, put);
            assertHeader(digest, put, "Docker-Content-Digest");
        }
        ApiResponse get = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, get);
        assertBody(data, get);
        assertHeader(String.valueOf(data.length), client.head("/v2/" + repo + "/blobs/" + digest), "Content-Length");
    }

    @Test
    void sameBlobIntoEightRepositories() throws Exception {
        String prefix = repo("conc");
        byte[] data = Digests.randomBytes(512 * 1024);
        String digest = Digests.sha256(data);
        List<ApiResponse> results = together(i -> client.put(
                withDigest(client.newUpload(prefix + "/r" + i), digest), data, "Content-Type", "application/octet-stream"));
        results.forEach(put -> assertStatus(201, put));
        for (int i = 0; i < THREADS; i++) {
            ApiResponse get = client.get("/v2/" + prefix + "/r" + i + "/blobs/" + digest);
            assertStatus(200, get);
            assertBody(data, get);
        }
    }

    @Test
    void eightManifestsRacingForOneTag() throws Exception {
        String repo = repo("conc");
        List<byte[]> manifests = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
            Descriptor layer = client.pushBlob(repo, Digests.randomBytes(1000 + i), Manifests.OCI_LAYER);
            manifests.add(Manifests.ociManifest(config, List.of(layer)));
        }
        List<ApiResponse> results = together(i -> client.putManifest(repo, "contested", Manifests.OCI_MANIFEST,
                manifests.get(i)));
        for (int i = 0; i < THREADS; i++) {
            assertStatus(201, results.get(i));
            assertHeader(Digests.sha256(manifests.get(i)), results.get(i), "Docker-Content-Digest");
        }

        ApiResponse tagged = client.getManifest(repo, "contested");
        assertStatus(200, tagged);
        String digest = Digests.sha256(tagged.body());
        assertHeader(digest, tagged, "Docker-Content-Digest");
        assertTrue(manifests.stream().anyMatch(m -> java.util.Arrays.equals(m, tagged.body())),
                "the tag must resolve to exactly one of the pushed manifests");
        // every manifest stays complete and readable by digest
        for (byte[] manifest : manifests) {
            ApiResponse get = client.getManifest(repo, Digests.sha256(manifest));
            assertStatus(200, get);
            assertBody(manifest, get);
        }
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertEquals(List.of("contested"), Json.strings(tags.json().get("tags")));
    }

    @Test
    void eightTagsPushedAtOnce() throws Exception {
        String repo = repo("conc");
        Image image = pushImage(repo, "t-base");
        List<ApiResponse> results = together(i -> client.putManifest(repo, "t" + i, image.mediaType(), image.manifest()));
        results.forEach(r -> assertStatus(201, r));
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertStatus(200, tags);
        Set<String> expected = new HashSet<>(List.of("t-base"));
        for (int i = 0; i < THREADS; i++) {
            expected.add("t" + i);
            assertBody(image.manifest(), client.getManifest(repo, "t" + i));
        }
        assertEquals(expected, new HashSet<>(Json.strings(tags.json().get("tags"))));
    }

    @Test
    void eightRepositoriesCreatedAtOnceAllAppearInTheCatalog() throws Exception {
        String prefix = repo("conc");
        together(i -> pushImage(prefix + "/new" + i, "latest"));
        List<String> catalog = catalog();
        for (int i = 0; i < THREADS; i++) {
            assertTrue(catalog.contains(prefix + "/new" + i), prefix + "/new" + i + " missing from the catalog");
        }
    }

    @Test
    void concurrentDeleteAndPushOfTheSameBlobLeaveAConsistentState() throws Exception {
        String repo = repo("conc");
        byte[] data = Digests.randomBytes(100_000);
        String digest = client.pushBlob(repo, data);
        List<Integer> statuses = together(i -> i % 2 == 0
                ? client.delete("/v2/" + repo + "/blobs/" + digest).status()
                : client.put(withDigest(client.newUpload(repo), digest), data, "Content-Type", "application/octet-stream").status());
        for (int i = 0; i < THREADS; i++) {
            int status = statuses.get(i);
            assertTrue(i % 2 == 0 ? status == 202 || status == 404 : status == 201, "status " + status + " of task " + i);
        }
        // either present with the right bytes, or cleanly absent
        ApiResponse get = client.get("/v2/" + repo + "/blobs/" + digest);
        if (get.status() == 200) {
            assertBody(data, get);
        } else {
            Asserts.assertError(get, 404, "BLOB_UNKNOWN");
        }
        // and a fresh push always works afterwards
        assertEquals(digest, client.pushBlob(repo, data));
        assertBody(data, client.get("/v2/" + repo + "/blobs/" + digest));
    }
}

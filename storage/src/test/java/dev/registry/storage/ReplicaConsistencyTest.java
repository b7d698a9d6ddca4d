package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replicas sharing one store (separate {@link Registry} instances, no shared memory): what one
 * changes, the others see at once (tags, manifests) or within a second (the catalog).
 */
class ReplicaConsistencyTest {
    private static final String REPO = "team/app";

    StorageDriver store;
    Registry a;
    Registry b;

    @BeforeEach
    void setUp() {
        store = new InMemoryDriver();
        a = new Registry(store, true, Clock.systemUTC());
        b = new Registry(store, true, Clock.systemUTC());
    }

    private Digest pushManifest(Registry replica, String repo, String tag, String marker) throws IOException {
        byte[] config = utf8("{\"marker\":\"" + marker + "\"}");
        BlobInfo blob = pushBlob(replica, repo, config);
        byte[] manifest = utf8("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[]}"""
                .formatted(blob.digest(), blob.size()));
        return replica.manifests().put(repo, tag, MediaTypes.OCI_MANIFEST, manifest).digest();
    }

    @Test
    void tagsPushedMovedAndDeletedOnOneReplicaAreSeenAtOnceOnTheOther() throws IOException {
        Digest first = pushManifest(a, REPO, "latest", "1");
        assertEquals(first, b.manifests().get(REPO, "latest").digest());
        assertEquals(List.of("latest"), b.tags().list(REPO));

        Digest second = pushManifest(b, REPO, "latest", "2");
        assertEquals(second, a.manifests().get(REPO, "latest").digest());
        assertEquals(Optional.of(second), a.tags().resolve(REPO, "latest"));

        a.manifests().delete(REPO, "latest");
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> b.manifests().get(REPO, "latest"));
        assertEquals(List.of(), b.tags().list(REPO));
    }

    @Test
    void aManifestDeletedOnOneReplicaIsUnknownOnTheOtherEvenIfItWasCached() throws IOException {
        Digest digest = pushManifest(a, REPO, "v1", "x");
        byte[] cached = b.manifests().get(REPO, digest.toString()).content(); // now in b's caches
        a.manifests().delete(REPO, digest.toString());
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> b.manifests().get(REPO, digest.toString()));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> b.manifests().get(REPO, "v1"));
        // pushed again, it is back everywhere with the same bytes
        a.manifests().put(REPO, digest.toString(), MediaTypes.OCI_MANIFEST, cached);
        assertArrayEquals(cached, b.manifests().get(REPO, digest.toString()).content());
    }

    @Test
    void aNewRepositoryAppearsInTheOtherReplicasCatalogWithinASecond() throws Exception {
        pushManifest(a, "first", "v1", "1");
        assertEquals(List.of("first"), b.catalog().repositories(100, null).items()); // b has walked now
        pushManifest(a, "second", "v1", "2");
        long start = System.nanoTime();
        while (!b.catalog().repositories(100, null).items().contains("second")) {
            assertTrue(System.nanoTime() - start < 1_000_000_000L, "not in the other replica's catalog after 1 s");
            Thread.sleep(20);
        }
        assertEquals(List.of("first", "second"), b.catalog().repositories(100, null).items());
    }

    @Test
    void concurrentPushesOfOneTagEndWithOneOfThemEverywhere() throws Exception {
        List<Registry> replicas = List.of(a, b, new Registry(store, true, Clock.systemUTC()));
        List<Callable<Digest>> pushes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Registry replica = replicas.get(i % 3);
            String marker = "push-" + i;
            pushes.add(() -> pushManifest(replica, REPO, "race", marker));
        }
        List<Digest> pushed = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (Future<Digest> push : pool.invokeAll(pushes)) {
                pushed.add(push.get());
            }
        }
        Digest winner = a.tags().resolve(REPO, "race").orElseThrow();
        assertTrue(pushed.contains(winner));
        for (Registry replica : replicas) {
            assertEquals(winner, replica.manifests().get(REPO, "race").digest());
        }
        // every pushed manifest stays intact by digest
        for (Digest digest : pushed) {
            assertEquals(digest, Digest.of("sha256", b.manifests().get(REPO, digest.toString()).content()));
        }
    }

    @Test
    void aThousandRepositoriesAreListedAndPaged() throws IOException {
        for (int i = 0; i < 1000; i++) {
            String repo = String.format("org%02d/app%03d", i % 10, i);
            store.putContent(PathLayout.manifests(repo) + "/revisions/sha256/" + "ab".repeat(32) + "/link", utf8("x"));
        }
        long start = System.nanoTime();
        CatalogService.Page first = b.catalog().repositories(100, null);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(100, first.items().size());
        assertTrue(first.more());
        assertTrue(millis < 1000, "first catalog page took " + millis + " ms");
        List<String> all = new ArrayList<>(first.items());
        String last = first.items().get(99);
        while (true) {
            CatalogService.Page page = b.catalog().repositories(100, last);
            all.addAll(page.items());
            if (!page.more()) {
                break;
            }
            last = page.items().get(page.items().size() - 1);
        }
        assertEquals(1000, all.size());
        assertEquals(1000, all.stream().distinct().count());
        assertFalse(all.contains("org00"));
    }
}

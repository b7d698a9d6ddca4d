package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.registry.storage.TestSupport.channel;
import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Garbage collection, offline and online, against one storage driver: each driver's test class
 * extends this with {@link #newDriver()}, so the collector is proved on every backend.
 */
public abstract class GarbageCollectorContract {
    /** A grace period short enough for tests and long enough for S3's whole-second timestamps. */
    private static final Duration GRACE = Duration.ofSeconds(4);

    protected abstract StorageDriver newDriver() throws Exception;

    protected void closeDriver(StorageDriver driver) throws Exception {
    }

    private StorageDriver driver;
    private Registry registry;

    @BeforeEach
    void open() throws Exception {
        driver = newDriver();
        registry = new Registry(driver, true, Clock.systemUTC());
    }

    @AfterEach
    void close() throws Exception {
        closeDriver(driver);
    }

    /** An image pushed to a repository: its manifest digest and its blobs' contents. */
    record Image(Digest manifest, byte[] manifestBytes, List<byte[]> blobs) {
    }

    private Image pushImage(Registry target, String repo, String reference, byte[]... blobContents) throws IOException {
        return pushImage(target, repo, reference, null, blobContents);
    }

    private Image pushImage(Registry target, String repo, String reference, Descriptor subject, byte[]... blobContents)
            throws IOException {
        List<BlobInfo> blobs = new ArrayList<>();
        for (byte[] content : blobContents) {
            blobs.add(pushBlob(target, repo, content));
        }
        byte[] manifest = manifest(blobs, subject);
        Digest digest = target.manifests().put(repo, reference.equals("@") ? Digest.sha256(manifest).toString() : reference,
                MediaTypes.OCI_MANIFEST, manifest).digest();
        return new Image(digest, manifest, List.of(blobContents));
    }

    private static byte[] manifest(List<BlobInfo> blobs, Descriptor subject) {
        StringBuilder layers = new StringBuilder();
        for (int i = 1; i < blobs.size(); i++) {
            layers.append(i > 1 ? "," : "").append(descriptor("application/vnd.oci.image.layer.v1.tar", blobs.get(i).digest(), blobs.get(i).size()));
        }
        return utf8("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", blobs.get(0).digest(), blobs.get(0).size()) + ","
                + "\"layers\":[" + layers + "]"
                + (subject == null ? "" : ",\"subject\":" + descriptor(subject.mediaType(), subject.digest(), subject.size()))
                + "}");
    }

    private static String descriptor(String mediaType, Digest digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private Digest pushIndex(String repo, String tag, Image... children) throws IOException {
        StringBuilder entries = new StringBuilder();
        for (Image child : children) {
            entries.append(entries.isEmpty() ? "" : ",").append(descriptor(MediaTypes.OCI_MANIFEST, child.manifest(), child.manifestBytes().length));
        }
        byte[] index = utf8("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + entries + "]}");
        return registry.manifests().put(repo, tag, MediaTypes.OCI_INDEX, index).digest();
    }

    private boolean blobStored(byte[] content) throws IOException {
        return registry.blobs().statGlobal(Digest.sha256(content)).isPresent();
    }

    private boolean blobStored(Digest digest) throws IOException {
        return registry.blobs().statGlobal(digest).isPresent();
    }

    /** Pulls the image as a client would and checks every byte. */
    private void assertPulls(String repo, String reference, Image image) throws IOException {
        ManifestService.StoredManifest stored = registry.manifests().get(repo, reference);
        assertArrayEquals(image.manifestBytes(), stored.content());
        for (byte[] blob : image.blobs()) {
            Digest digest = Digest.sha256(blob);
            assertTrue(registry.blobs().stat(repo, digest).isPresent(), "blob " + digest + " in " + repo);
            try (var in = registry.blobs().open(digest, 0)) {
                assertArrayEquals(blob, readAll(in));
            }
        }
    }

    private GarbageCollector.Result collect(boolean dryRun, boolean deleteUntagged, List<GarbageCollector.Removal> removals)
            throws IOException {
        return new GarbageCollector(driver, Clock.systemUTC())
                .collect(GarbageCollector.Options.offline(dryRun, deleteUntagged), removals::add);
    }

    private static Set<String> items(List<GarbageCollector.Removal> removals, GarbageCollector.Kind kind) {
        Set<String> result = new TreeSet<>();
        removals.stream().filter(r -> r.kind() == kind).forEach(r -> result.add((r.repository() == null ? "" : r.repository() + "@") + r.item()));
        return result;
    }

    private static Set<String> digests(String repo, byte[]... contents) {
        Set<String> result = new TreeSet<>();
        for (byte[] content : contents) {
            result.add((repo == null ? "" : repo + "@") + Digest.sha256(content));
        }
        return result;
    }

    @Test
    void offlineCollectionKeepsSharedLayersAndRemovesWhatDeletedManifestsAndBareUploadsLeft() throws IOException {
        byte[] shared = random(40_000, 1);
        byte[] layerA = random(10_000, 2);
        byte[] layerB = random(20_000, 3);
        Image kept = pushImage(registry, "team/a", "v1", utf8("{\"c\":1}"), shared, layerA);
        Image deleted = pushImage(registry, "team/a", "v2", utf8("{\"c\":2}"), shared, layerB);
        Image other = pushImage(registry, "team/b", "latest", utf8("{\"c\":3}"), shared);
        byte[] orphan = random(5_000, 4);
        pushBlob(registry, "team/c", orphan); // uploaded, never referenced by a manifest
        registry.manifests().delete("team/a", deleted.manifest().toString());

        List<GarbageCollector.Removal> dry = new ArrayList<>();
        GarbageCollector.Result planned = collect(true, false, dry);
        Set<String> expectedBlobs = digests(null, utf8("{\"c\":2}"), layerB, deleted.manifestBytes(), orphan);
        assertEquals(expectedBlobs, items(dry, GarbageCollector.Kind.BLOB));
        long expectedBytes = utf8("{\"c\":2}").length + layerB.length + deleted.manifestBytes().length + orphan.length;
        assertEquals(expectedBytes, planned.bytes());
        assertTrue(blobStored(layerB) && blobStored(orphan) && blobStored(deleted.manifest()), "a dry run removes nothing");

        List<GarbageCollector.Removal> removals = new ArrayList<>();
        GarbageCollector.Result result = collect(false, false, removals);
        assertTrue(result.complete());
        assertEquals(expectedBlobs, items(removals, GarbageCollector.Kind.BLOB));
        assertEquals(expectedBytes, result.bytes());
        Set<String> expectedLinks = digests("team/a", utf8("{\"c\":2}"), layerB);
        expectedLinks.addAll(digests("team/c", orphan));
        assertEquals(expectedLinks, items(removals, GarbageCollector.Kind.LAYER_LINK));
        assertFalse(blobStored(layerB) || blobStored(orphan) || blobStored(deleted.manifest()));
        assertTrue(registry.blobs().stat("team/a", Digest.sha256(layerB)).isEmpty());
        assertPulls("team/a", "v1", kept);
        assertPulls("team/b", "latest", other);

        List<GarbageCollector.Removal> again = new ArrayList<>();
        assertEquals(0, collect(false, false, again).bytes());
        assertEquals(List.of(), again, "a second collection finds nothing");
    }

    /**
     * A mirror's cached repository that nobody pulled within the expiry goes, with the blobs only it
     * used; a recently pulled cache, a local repository (sharing a layer with the expired cache)
     * and everything in a dry run stay.
     */
    @Test
    void cacheExpiryRemovesCachedRepositoriesNobodyPulledAndOnlyTheirOwnBlobs() throws IOException {
        byte[] shared = random(30_000, 41);
        byte[] staleOnly = random(12_000, 42);
        Image stale = pushImage(registry, "hub/library/old", "1", utf8("{\"cache\":\"old\"}"), shared, staleOnly);
        Image fresh = pushImage(registry, "hub/library/new", "1", utf8("{\"cache\":\"new\"}"), random(8_000, 43));
        Image local = pushImage(registry, "team/app", "v1", utf8("{\"local\":1}"), shared);
        java.time.Instant now = java.time.Instant.now();
        registry.cached().recordPull("hub/library/old", "hub", "library/old", now.minus(Duration.ofDays(40)));
        registry.cached().recordPull("hub/library/new", "hub", "library/new", now.minus(Duration.ofDays(2)));
        GarbageCollector.Options expire30Days = GarbageCollector.Options.offline(true, false).withCacheExpiry(Duration.ofDays(30));

        List<GarbageCollector.Removal> dry = new ArrayList<>();
        GarbageCollector.Result planned = new GarbageCollector(driver, Clock.systemUTC()).collect(expire30Days, dry::add);
        assertEquals(1, planned.count(GarbageCollector.Kind.CACHED_REPOSITORY));
        Set<String> staleBlobs = digests(null, utf8("{\"cache\":\"old\"}"), staleOnly, stale.manifestBytes());
        assertEquals(staleBlobs, items(dry, GarbageCollector.Kind.BLOB));
        assertPulls("hub/library/old", "1", stale);

        List<GarbageCollector.Removal> removals = new ArrayList<>();
        GarbageCollector.Result result = new GarbageCollector(driver, Clock.systemUTC())
                .collect(GarbageCollector.Options.offline(false, false).withCacheExpiry(Duration.ofDays(30)), removals::add);
        assertEquals(List.of("hub/library/old"), removals.stream()
                .filter(r -> r.kind() == GarbageCollector.Kind.CACHED_REPOSITORY).map(GarbageCollector.Removal::repository).toList());
        assertEquals(staleBlobs, items(removals, GarbageCollector.Kind.BLOB));
        assertEquals(utf8("{\"cache\":\"old\"}").length + staleOnly.length + stale.manifestBytes().length, result.bytes());
        assertTrue(registry.cached().mark("hub/library/old").isEmpty(), "the marker is gone with the repository");
        assertThrows(RegistryException.class, () -> registry.manifests().get("hub/library/old", "1"));
        assertFalse(registry.cached().isLocal("hub/library/old"), "nothing is left that looks pushed here");
        assertFalse(new CatalogService(driver, java.time.Clock.systemUTC()).repositories(100, null).items().contains("hub/library/old"));
        assertPulls("hub/library/new", "1", fresh);
        assertPulls("team/app", "v1", local);

        List<GarbageCollector.Removal> withoutExpiry = new ArrayList<>();
        new CachedRepositories(driver).recordPull("hub/library/new", "hub", "library/new", now.minus(Duration.ofDays(400)));
        collect(false, false, withoutExpiry);
        assertEquals(List.of(), withoutExpiry, "without an expiry cached repositories stay, however old");
        assertPulls("hub/library/new", "1", fresh);
    }

    @Test
    void deleteUntaggedKeepsIndexChildrenAndReferrersOfKeptManifestsAndRemovesTheRest() throws IOException {
        Image tagged = pushImage(registry, "app", "v1", utf8("{\"img\":\"tagged\"}"), random(3000, 10));
        Image childA = pushImage(registry, "app", "@", utf8("{\"img\":\"amd64\"}"), random(3000, 11));
        Image childB = pushImage(registry, "app", "@", utf8("{\"img\":\"arm64\"}"), random(3000, 12));
        Digest index = pushIndex("app", "multi", childA, childB);
        Descriptor subject = new Descriptor(MediaTypes.OCI_MANIFEST, tagged.manifest(), tagged.manifestBytes().length, List.of());
        Image signature = pushImage(registry, "app", "@", subject, utf8("{\"img\":\"signature\"}"));
        Image untagged = pushImage(registry, "app", "v0", utf8("{\"img\":\"untagged\"}"), random(3000, 13));
        pushImage(registry, "app", "v0", utf8("{\"img\":\"v0 moved on\"}")); // v0 now points elsewhere; its history keeps the old one
        Descriptor untaggedSubject = new Descriptor(MediaTypes.OCI_MANIFEST, untagged.manifest(), untagged.manifestBytes().length, List.of());
        Image orphanReferrer = pushImage(registry, "app", "@", untaggedSubject, utf8("{\"img\":\"orphan-sbom\"}"));

        List<GarbageCollector.Removal> withoutFlag = new ArrayList<>();
        collect(false, false, withoutFlag);
        assertEquals(List.of(), withoutFlag, "without --delete-untagged untagged manifests keep their blobs");

        List<GarbageCollector.Removal> removals = new ArrayList<>();
        collect(false, true, removals);
        assertEquals(new TreeSet<>(Set.of("app@" + untagged.manifest(), "app@" + orphanReferrer.manifest())),
                items(removals, GarbageCollector.Kind.MANIFEST));
        assertEquals(digests(null, untagged.manifestBytes(), untagged.blobs().get(0), untagged.blobs().get(1),
                orphanReferrer.manifestBytes(), orphanReferrer.blobs().get(0)), items(removals, GarbageCollector.Kind.BLOB));
        assertPulls("app", "v1", tagged);
        assertPulls("app", childA.manifest().toString(), childA);
        assertPulls("app", childB.manifest().toString(), childB);
        assertEquals(index, registry.manifests().get("app", "multi").digest());
        assertPulls("app", signature.manifest().toString(), signature);
        assertEquals(List.of(signature.manifest()), registry.manifests().referrers("app", tagged.manifest(), null)
                .stream().map(Referrer::digest).toList());
        assertEquals(List.of(), registry.manifests().referrers("app", untagged.manifest(), null));
        assertThrows(RegistryException.class, () -> registry.manifests().get("app", untagged.manifest().toString()));
        assertThrows(PathNotFoundException.class,
                () -> driver.stat(PathLayout.tagIndexLink("app", "v0", untagged.manifest())), "gone from v0's history too");
    }

    @Test
    void anUploadHeldOpenAcrossACollectionCompletesAndLeftoversWithoutAStartTimeGo() throws IOException {
        byte[] first = random(300_000, 20);
        byte[] second = random(200_000, 21);
        UploadSession session = registry.uploads().start("held");
        registry.uploads().append("held", session.uuid(), channel(first), ChunkRange.UNDECLARED);
        // the remains of a cancel interrupted after it removed the start time
        driver.putContent(PathLayout.uploadHashState("held", "0b9c1e62-5f0e-4d7e-9a53-0c4f1c2d3e4f", "sha256", 10), new byte[]{1});

        List<GarbageCollector.Removal> removals = new ArrayList<>();
        collect(false, false, removals);
        assertEquals(Set.of("held@0b9c1e62-5f0e-4d7e-9a53-0c4f1c2d3e4f"), items(removals, GarbageCollector.Kind.UPLOAD));

        byte[] whole = TestSupport.concat(first, second);
        BlobInfo blob = registry.uploads().complete("held", session.uuid(), Digest.sha256(whole), channel(second), ChunkRange.UNDECLARED);
        assertEquals(whole.length, blob.size());
        try (var in = registry.blobs().open(blob.digest(), 0)) {
            assertArrayEquals(whole, readAll(in));
        }
    }

    @Test
    void revisionLinksWhoseManifestIsGoneAreRemoved() throws IOException {
        Image image = pushImage(registry, "broken", "v1", utf8("{\"c\":\"broken\"}"));
        Image healthy = pushImage(registry, "broken", "v2", utf8("{\"c\":\"healthy\"}"));
        driver.delete(PathLayout.blobDirectory(image.manifest())); // as another tool might leave it
        List<GarbageCollector.Removal> removals = new ArrayList<>();
        collect(false, false, removals);
        assertEquals(Set.of("broken@" + image.manifest()), items(removals, GarbageCollector.Kind.REVISION_LINK));
        assertThrows(PathNotFoundException.class, () -> driver.stat(PathLayout.manifestRevisionLink("broken", image.manifest())));
        assertPulls("broken", "v2", healthy);
    }

    /**
     * The issue's example, scaled to the tests' grace period: a blob uploaded and left without its
     * manifest while two online collections remove older garbage is still there for its manifest.
     */
    @Test
    void onlineCollectionsKeepABlobYoungerThanTheGracePeriodWhileRemovingOlderGarbage() throws Exception {
        Registry online = new Registry(driver, true, Clock.systemUTC(), GRACE);
        byte[] garbage = random(7000, 30);
        pushBlob(online, "web", garbage);
        Thread.sleep(GRACE.plusSeconds(1).plusMillis(500).toMillis()); // older than the grace period and its slack

        byte[] config = utf8("{\"c\":\"late manifest\"}");
        byte[] layer = random(9000, 31);
        BlobInfo configBlob = pushBlob(online, "web", config);
        BlobInfo layerBlob = pushBlob(online, "web", layer);
        OnlineGarbageCollection collection = new OnlineGarbageCollection(driver, Clock.systemUTC(),
                Duration.ofMillis(500), GRACE, true);
        GarbageCollector.Result firstRound = collection.runOnce();
        Thread.sleep(500);
        GarbageCollector.Result secondRound = collection.runOnce();
        assertNotNull(firstRound);
        assertNotNull(secondRound);
        assertEquals(1, firstRound.count(GarbageCollector.Kind.BLOB), "the old garbage goes");
        assertEquals(garbage.length, firstRound.bytes());
        assertEquals(0, secondRound.count(GarbageCollector.Kind.BLOB));
        assertFalse(blobStored(garbage));
        assertEquals(1, collection.counters().removed(GarbageCollector.Kind.BLOB));
        assertEquals(garbage.length, collection.counters().bytesReclaimed());

        byte[] manifest = manifest(List.of(configBlob, layerBlob), null);
        online.manifests().put("web", "v1", MediaTypes.OCI_MANIFEST, manifest);
        assertPulls("web", "v1", new Image(Digest.sha256(manifest), manifest, List.of(config, layer)));
    }

    @Test
    void aManifestPushThatLosesABlobToACollectionIsUndoneAndRefused() throws IOException {
        byte[] config = utf8("{\"c\":\"raced\"}");
        BlobInfo blob = pushBlob(registry, "race", config);
        // a collector deleting the blob between the push's reference check and its revision link
        StorageDriver racing = new dev.registry.storage.driver.ForwardingDriver(driver) {
            @Override
            public void putContent(String path, byte[] content) throws IOException {
                if (path.contains("/_manifests/revisions/")) {
                    driver.delete(PathLayout.blobDirectory(blob.digest()));
                }
                super.putContent(path, content);
            }
        };
        Registry online = new Registry(racing, true, Clock.systemUTC(), GRACE);
        byte[] manifest = manifest(List.of(blob), null);
        RegistryException refused = assertThrows(RegistryException.class,
                () -> online.manifests().put("race", "v1", MediaTypes.OCI_MANIFEST, manifest));
        assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, refused.code());
        assertThrows(PathNotFoundException.class,
                () -> driver.stat(PathLayout.manifestRevisionLink("race", Digest.sha256(manifest))));
        assertTrue(registry.tags().resolve("race", "v1").isEmpty(), "no tag points at the undone manifest");
    }

    @Test
    void onlyOneOfTwoCollectorsHoldsTheLeaseAtATime() throws Exception {
        CollectionLease first = new CollectionLease(driver, Clock.systemUTC(), "replica-1", Duration.ofSeconds(30), Duration.ofMillis(300));
        CollectionLease second = new CollectionLease(driver, Clock.systemUTC(), "replica-2", Duration.ofSeconds(30), Duration.ofMillis(300));
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            Future<Boolean> a = threads.submit(first::acquire);
            Future<Boolean> b = threads.submit(second::acquire);
            assertTrue(a.get() ^ b.get(), "exactly one takes the lease (" + a.get() + ", " + b.get() + ")");
        }
        CollectionLease holder = first.holds() ? first : second;
        CollectionLease other = holder == first ? second : first;
        assertFalse(other.acquire(), "a held lease is not taken");
        assertTrue(holder.renew());
        holder.release();
        assertTrue(other.acquire(), "a released lease is taken");

        // a holder that died leaves the lease to expire, then it is taken over
        CollectionLease dying = new CollectionLease(driver, Clock.systemUTC(), "replica-3", Duration.ofMillis(500), Duration.ofMillis(50));
        other.release();
        assertTrue(dying.acquire());
        assertFalse(holder.acquire());
        Thread.sleep(700);
        assertTrue(holder.acquire(), "an expired lease is taken over");
        assertFalse(dying.renew(), "the old holder learns it lost the lease");
        holder.release();
    }

    @Test
    void twoOnlineCollectorsOnOneStoreNeverRunTogether() throws Exception {
        OnlineGarbageCollection one = new OnlineGarbageCollection(driver, Clock.systemUTC(), Duration.ofSeconds(2), GRACE, false);
        OnlineGarbageCollection two = new OnlineGarbageCollection(driver, Clock.systemUTC(), Duration.ofSeconds(2), GRACE, false);
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            Future<GarbageCollector.Result> a = threads.submit(one::runOnce);
            Future<GarbageCollector.Result> b = threads.submit(two::runOnce);
            assertTrue((a.get() == null) ^ (b.get() == null), "one collects, the other skips its round");
        }
        assertEquals(1, one.counters().runs() + two.counters().runs());
        assertEquals(1, one.counters().skipped() + two.counters().skipped());
        assertNull(new CollectionLease(driver, Clock.systemUTC(), "x", GRACE, Duration.ZERO).read().orElse(null),
                "the lease is released after the run");
    }
}

package dev.registry.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The mirror's marks, fetched manifests and blob ingests, over the in-memory driver. */
class CachedRepositoriesTest {
    private final InMemoryDriver driver = new InMemoryDriver();
    private final Registry registry = new Registry(driver, true, Clock.systemUTC());

    @Test
    void onlyRepositoriesWithContentAndNoMarkerAreLocal() throws Exception {
        assertFalse(registry.cached().isLocal("team/app"), "missing");
        registry.cached().recordPull("hub/alpine", "hub", "library/alpine", Instant.parse("2026-12-03T20:00:00Z"));
        assertFalse(registry.cached().isLocal("hub/alpine"), "a cache");
        assertEquals(Optional.of(new CachedRepositories.Mark("hub", "library/alpine", Instant.parse("2026-12-03T20:00:00Z"))),
                registry.cached().mark("hub/alpine"));
        driver.putContent(PathLayout.repository("bare") + "/_proxy/.tmp-cache", new byte[0]);
        assertFalse(registry.cached().isLocal("bare"), "a directory the marker is being written into is not local");

        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        registry.blobs().putContent(Digest.sha256(config), config);
        registry.blobs().link("team/app", Digest.sha256(config));
        assertTrue(registry.cached().isLocal("team/app"));
    }

    @Test
    void lastPulledIsWrittenAtMostOncePerInterval() throws Exception {
        Instant first = Instant.parse("2026-12-03T20:00:00Z");
        registry.cached().recordPull("hub/alpine", "hub", "library/alpine", first);
        registry.cached().recordPull("hub/alpine", "hub", "library/alpine", first.plusSeconds(60));
        assertEquals(first, registry.cached().mark("hub/alpine").orElseThrow().lastPulled());
        registry.cached().recordPull("hub/alpine", "hub", "library/alpine", first.plus(CachedRepositories.PULL_RECORD_INTERVAL));
        assertEquals(first.plus(CachedRepositories.PULL_RECORD_INTERVAL), registry.cached().mark("hub/alpine").orElseThrow().lastPulled());
    }

    @Test
    void tagCheckTimesRoundTrip() throws Exception {
        assertEquals(Optional.empty(), registry.cached().tagChecked("hub/alpine", "3"));
        Instant now = Instant.parse("2026-12-03T20:00:00.123Z");
        registry.cached().recordTagCheck("hub/alpine", "3", now);
        assertEquals(Optional.of(now), registry.cached().tagChecked("hub/alpine", "3"));
    }

    @Test
    void fetchedManifestsNeedNotHaveTheirBlobsButMustMatchTheirDigest() throws Exception {
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":2},"
                + "\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(manifest);
        registry.manifests().putFetched("hub/x", "1", digest, MediaTypes.OCI_MANIFEST, manifest);
        ManifestService.StoredManifest stored = registry.manifests().get("hub/x", "1");
        assertEquals(digest, stored.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, stored.mediaType());

        RegistryException wrong = assertThrows(RegistryException.class, () -> registry.manifests().putFetched("hub/x", "2",
                Digest.sha256("other".getBytes(StandardCharsets.UTF_8)), MediaTypes.OCI_MANIFEST, manifest));
        assertEquals(ErrorCode.DIGEST_INVALID, wrong.code());
        assertTrue(registry.tags().resolve("hub/x", "2").isEmpty());
    }

    @Test
    void anIngestPublishesOnlyCompleteVerifiedContent() throws Exception {
        byte[] content = "layer bytes".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(content);

        BlobIngest wrongSize = registry.blobs().ingest("hub/x", digest, content.length + 1);
        wrongSize.write(ByteBuffer.wrap(content));
        assertEquals(ErrorCode.SIZE_INVALID, assertThrows(RegistryException.class, wrongSize::complete).code());
        assertTrue(registry.blobs().statGlobal(digest).isEmpty());

        BlobIngest corrupt = registry.blobs().ingest("hub/x", digest, content.length);
        byte[] bad = content.clone();
        bad[0] ^= 1;
        corrupt.write(ByteBuffer.wrap(bad));
        assertEquals(ErrorCode.DIGEST_INVALID, assertThrows(RegistryException.class, corrupt::complete).code());
        assertTrue(registry.blobs().statGlobal(digest).isEmpty());

        BlobIngest good = registry.blobs().ingest("hub/x", digest, content.length);
        good.write(ByteBuffer.wrap(content, 0, 5));
        good.write(ByteBuffer.wrap(content, 5, content.length - 5));
        assertEquals(new BlobInfo(digest, content.length), good.complete());
        assertEquals(Optional.of(new BlobInfo(digest, content.length)), registry.blobs().stat("hub/x", digest));
        assertThrows(dev.registry.storage.driver.PathNotFoundException.class, () -> driver.list(PathLayout.uploads("hub/x")),
                "no ingest leaves its upload directory behind");
    }
}

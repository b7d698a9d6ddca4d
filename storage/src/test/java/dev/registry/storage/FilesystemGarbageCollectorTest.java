package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Garbage collection on the filesystem driver, plus what only a filesystem lets a test do: age a file. */
class FilesystemGarbageCollectorTest extends GarbageCollectorContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver newDriver() throws IOException {
        return new FilesystemDriver(root);
    }

    private Path file(String storagePath) {
        return root.resolve(storagePath.substring(1));
    }

    private void age(String storagePath, Duration by) throws IOException {
        Files.setLastModifiedTime(file(storagePath), FileTime.from(Instant.now().minus(by)));
    }

    /**
     * The client that HEADs an old unreferenced blob, sees it, and builds a manifest on it: the
     * HEAD refreshes the repository's link, so a collection in between keeps the blob.
     */
    @Test
    void aHeadOfAnOldUnreferencedBlobRefreshesItsLinkSoTheCollectorKeepsIt() throws IOException {
        Duration grace = Duration.ofHours(1);
        Registry online = new Registry(new FilesystemDriver(root), true, Clock.systemUTC(), grace);
        BlobInfo blob = pushBlob(online, "old", random(4000, 40));
        String link = PathLayout.layerLink("old", blob.digest());
        age(PathLayout.blobData(blob.digest()), Duration.ofHours(3));
        age(link, Duration.ofHours(3));

        assertTrue(online.blobs().stat("old", blob.digest()).isPresent()); // the client's HEAD
        assertTrue(Files.getLastModifiedTime(file(link)).toInstant().isAfter(Instant.now().minusSeconds(60)),
                "the HEAD wrote the stale link again");
        List<GarbageCollector.Removal> removals = new ArrayList<>();
        new GarbageCollector(online.driver(), Clock.systemUTC())
                .collect(new GarbageCollector.Options(false, false, grace), removals::add);
        assertEquals(List.of(), removals);
        assertTrue(online.blobs().statGlobal(blob.digest()).isPresent());

        // without the HEAD, the same old blob goes
        age(link, Duration.ofHours(3));
        new GarbageCollector(online.driver(), Clock.systemUTC())
                .collect(new GarbageCollector.Options(false, false, grace), removals::add);
        assertEquals(List.of(GarbageCollector.Kind.BLOB, GarbageCollector.Kind.LAYER_LINK),
                removals.stream().map(GarbageCollector.Removal::kind).toList());
    }

    /** Uploading a blob that is stored already, but stale, renews the stored copy's time. */
    @Test
    void reUploadingAStaleBlobRenewsItsTime() throws IOException {
        Registry online = new Registry(new FilesystemDriver(root), true, Clock.systemUTC(), Duration.ofHours(1));
        byte[] content = random(3000, 41);
        BlobInfo blob = pushBlob(online, "first", content);
        age(PathLayout.blobData(blob.digest()), Duration.ofHours(2));
        pushBlob(online, "second", content);
        assertTrue(Files.getLastModifiedTime(file(PathLayout.blobData(blob.digest()))).toInstant()
                .isAfter(Instant.now().minusSeconds(60)));
    }
}

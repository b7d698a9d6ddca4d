package dev.registry.storage;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlobStoreTest {
    @TempDir
    Path root;

    Registry registry;
    BlobStore blobs;

    @BeforeEach
    void setUp() throws IOException {
        registry = TestSupport.registry(root);
        blobs = registry.blobs();
    }

    @Test
    void statIsPerRepository() throws IOException {
        byte[] content = random(1234, 1);
        BlobInfo blob = pushBlob(registry, "one", content);
        assertEquals(Optional.of(new BlobInfo(Digest.sha256(content), 1234)), blobs.statGlobal(blob.digest()));
        assertEquals(Optional.of(blob), blobs.stat("one", blob.digest()));
        assertEquals(Optional.empty(), blobs.stat("two", blob.digest()));
        assertTrue(blobs.isLinked("one", blob.digest()));
        assertFalse(blobs.isLinked("two", blob.digest()));
        assertEquals(Optional.empty(), blobs.statGlobal(Digest.sha256(utf8("absent"))));
    }

    @Test
    void linkedButMissingGlobalBlobIsAbsent() throws IOException {
        Digest d = Digest.sha256(utf8("dangling"));
        blobs.link("one", d);
        assertTrue(blobs.isLinked("one", d));
        assertEquals(Optional.empty(), blobs.stat("one", d));
    }

    @Test
    void onARemoteStoreTheLinkAndTheSizeAreLookedUpAtOnce() throws Exception {
        byte[] content = random(4321, 3);
        BlobInfo pushed = pushBlob(registry, "one", content);
        // each stat waits until a second one is in flight: looked up in turn, they would time out
        CountDownLatch bothInFlight = new CountDownLatch(2);
        AtomicInteger stats = new AtomicInteger();
        StorageDriver remote = new ForwardingDriver(registry.driver()) {
            @Override
            public FileInfo stat(String path) throws IOException {
                stats.incrementAndGet();
                bothInFlight.countDown();
                try {
                    if (!bothInFlight.await(5, TimeUnit.SECONDS)) {
                        throw new IOException("the other lookup never started: " + path);
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                return super.stat(path);
            }
        };
        BlobStore concurrent = new BlobStore(remote, Clock.systemUTC(), null, true);
        assertEquals(Optional.of(pushed), concurrent.stat("one", pushed.digest()));
        assertEquals(2, stats.get(), "the layer link and the blob, nothing more");
    }

    @Test
    void concurrentLookupsAnswerAsLookupsInTurn() throws IOException {
        byte[] content = random(999, 4);
        BlobInfo pushed = pushBlob(registry, "one", content);
        BlobStore concurrent = new BlobStore(registry.driver(), Clock.systemUTC(), null, true);
        assertEquals(Optional.of(pushed), concurrent.stat("one", pushed.digest()));
        assertEquals(Optional.empty(), concurrent.stat("two", pushed.digest()), "not linked there");
        Digest dangling = Digest.sha256(utf8("linked, never stored"));
        concurrent.link("one", dangling);
        assertEquals(Optional.empty(), concurrent.stat("one", dangling));
        // a manifest is linked as a revision, not a layer
        Digest manifest = Digest.sha256(utf8("{}"));
        registry.driver().putContent(PathLayout.blobData(manifest), utf8("{}"));
        registry.driver().putContent(PathLayout.manifestRevisionLink("one", manifest), utf8(manifest.toString()));
        assertEquals(Optional.of(new BlobInfo(manifest, 2)), concurrent.stat("one", manifest));
        StorageDriver failing = new ForwardingDriver(registry.driver()) {
            @Override
            public FileInfo stat(String path) throws IOException {
                if (path.endsWith("/data")) {
                    throw new IOException("store unreachable");
                }
                return super.stat(path);
            }
        };
        IOException failure = assertThrows(IOException.class,
                () -> new BlobStore(failing, Clock.systemUTC(), null, true).stat("one", pushed.digest()));
        assertEquals("store unreachable", failure.getMessage());
    }

    @Test
    void statAllAnswersInOrderWithABoundedNumberOfLookupsAtOnce() throws Exception {
        List<BlobInfo> pushed = new ArrayList<>();
        List<Digest> asked = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            if (i % 7 == 3) {
                asked.add(Digest.sha256(utf8("absent " + i)));
            } else {
                BlobInfo blob = pushBlob(registry, "one", random(100 + i, 100 + i));
                pushed.add(blob);
                asked.add(blob.digest());
            }
        }
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        StorageDriver remote = new ForwardingDriver(registry.driver()) {
            @Override
            public FileInfo stat(String path) throws IOException {
                int now = inFlight.incrementAndGet();
                most.accumulateAndGet(now, Math::max);
                try {
                    Thread.sleep(5);
                    return super.stat(path);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        };
        List<Optional<BlobInfo>> found = new BlobStore(remote, Clock.systemUTC(), null, true).statAll("one", asked);
        int next = 0;
        for (int i = 0; i < asked.size(); i++) {
            assertEquals(i % 7 == 3 ? Optional.empty() : Optional.of(pushed.get(next++)), found.get(i), "digest " + i);
        }
        // a blob's two lookups for each of at most 16 blobs (and a revision link for an absent one)
        assertTrue(most.get() > 2 && most.get() <= 32, "lookups at once: " + most.get());
    }

    @Test
    void openFromOffset() throws IOException {
        byte[] content = random(100_000, 2);
        BlobInfo blob = pushBlob(registry, "one", content);
        assertArrayEquals(content, readAll(blobs.open(blob.digest(), 0)));
        assertArrayEquals(Arrays.copyOfRange(content, 12_345, content.length), readAll(blobs.open(blob.digest(), 12_345)));
        assertThrows(PathNotFoundException.class, () -> blobs.open(Digest.sha256(utf8("absent")), 0));
    }

    @Test
    void mountLinksOnlyWhenSourceHasTheBlob() throws IOException {
        BlobInfo blob = pushBlob(registry, "src", random(10, 3));
        assertEquals(Optional.empty(), blobs.mount("elsewhere", "dst", blob.digest()));
        assertFalse(blobs.isLinked("dst", blob.digest()));
        assertEquals(Optional.of(blob), blobs.mount("src", "dst", blob.digest()));
        assertEquals(Optional.of(blob), blobs.stat("dst", blob.digest()));
        assertEquals(blob.digest().toString(),
                Files.readString(root.resolve(PathLayout.layerLink("dst", blob.digest()).substring(1))));
    }

    @Test
    void unlinkKeepsTheGlobalBlob() throws IOException {
        BlobInfo blob = pushBlob(registry, "one", random(10, 4));
        pushBlob(registry, "two", random(10, 4));
        assertTrue(blobs.unlink("one", blob.digest()));
        assertFalse(blobs.unlink("one", blob.digest()));
        assertEquals(Optional.empty(), blobs.stat("one", blob.digest()));
        assertEquals(Optional.of(blob), blobs.stat("two", blob.digest()));
        assertTrue(blobs.statGlobal(blob.digest()).isPresent());
        assertFalse(Files.exists(root.resolve(PathLayout.layerLinkDirectory("one", blob.digest()).substring(1))));
    }

    @Test
    void putContentAndGetContent() throws IOException {
        byte[] content = utf8("{\"small\":true}");
        Digest d = Digest.sha256(content);
        blobs.putContent(d, content);
        blobs.putContent(d, content);
        assertArrayEquals(content, blobs.getContent(d));
        assertArrayEquals(content, Files.readAllBytes(root.resolve(PathLayout.blobData(d).substring(1))));
        assertThrows(PathNotFoundException.class, () -> blobs.getContent(Digest.sha256(utf8("absent"))));
    }

    @Test
    void putContentRepairsATruncatedBlob() throws IOException {
        byte[] content = utf8("{\"small\":true}");
        Digest d = Digest.sha256(content);
        registry.driver().putContent(PathLayout.blobData(d), utf8("{\"sm"));
        blobs.putContent(d, content);
        assertArrayEquals(content, blobs.getContent(d));
    }

    @Test
    void noRedirectFromFilesystem() throws IOException {
        BlobInfo blob = pushBlob(registry, "one", random(10, 5));
        assertEquals(Optional.empty(), blobs.redirectUrl(blob.digest(), "GET", Duration.ofMinutes(5)));
    }
}

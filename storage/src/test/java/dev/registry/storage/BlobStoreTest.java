package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

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

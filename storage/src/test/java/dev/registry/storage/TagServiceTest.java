package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TagServiceTest {
    static final String REPO = "team/service";
    static final Digest D1 = Digest.sha256(utf8("one"));
    static final Digest D2 = Digest.sha256(utf8("two"));

    @TempDir
    Path root;

    Registry registry;
    TagService tags;

    @BeforeEach
    void setUp() throws IOException {
        registry = TestSupport.registry(root);
        tags = registry.tags();
    }

    @Test
    void tagResolveAndOnDiskLinks() throws IOException {
        assertEquals(Optional.empty(), tags.resolve(REPO, "v1"));
        tags.tag(REPO, "v1", D1);
        assertEquals(Optional.of(D1), tags.resolve(REPO, "v1"));
        assertEquals(D1.toString(), Files.readString(root.resolve(PathLayout.tagCurrentLink(REPO, "v1").substring(1))));
        assertEquals(D1.toString(), Files.readString(root.resolve(PathLayout.tagIndexLink(REPO, "v1", D1).substring(1))));
    }

    @Test
    void retagReplacesCurrentAndKeepsIndexHistory() throws IOException {
        tags.tag(REPO, "v1", D1);
        tags.tag(REPO, "v1", D2);
        assertEquals(Optional.of(D2), tags.resolve(REPO, "v1"));
        assertTrue(Files.exists(root.resolve(PathLayout.tagIndexLink(REPO, "v1", D1).substring(1))));
        assertTrue(Files.exists(root.resolve(PathLayout.tagIndexLink(REPO, "v1", D2).substring(1))));
        assertEquals(List.of("v1"), tags.list(REPO));
    }

    @Test
    void listIsSorted() throws IOException {
        for (String t : List.of("b", "a", "latest", "C", "1.0", "_x", "v10", "v2", "A-b.c")) {
            tags.tag(REPO, t, D1);
        }
        assertEquals(List.of("1.0", "A-b.c", "C", "_x", "a", "b", "latest", "v10", "v2"), tags.list(REPO));
    }

    @Test
    void listSkipsEntriesThatAreNoValidTags() throws IOException {
        tags.tag(REPO, "good", D1);
        Files.createDirectories(root.resolve(PathLayout.tags(REPO).substring(1)).resolve(".hidden"));
        assertEquals(List.of("good"), tags.list(REPO));
    }

    @Test
    void listOfUnknownRepositoryIsNameUnknown() {
        RegistryException e = assertRegistryError(ErrorCode.NAME_UNKNOWN, () -> tags.list("no/such"));
        assertEquals(404, e.status());
    }

    @Test
    void listOfRepositoryWithoutTagsIsEmpty() throws IOException {
        registry.uploads().start(REPO);
        assertEquals(List.of(), tags.list(REPO));
        tags.tag(REPO, "x", D1);
        tags.untag(REPO, "x");
        assertEquals(List.of(), tags.list(REPO));
    }

    @Test
    void untag() throws IOException {
        tags.tag(REPO, "a", D1);
        tags.tag(REPO, "b", D1);
        assertTrue(tags.untag(REPO, "a"));
        assertFalse(tags.untag(REPO, "a"));
        assertFalse(tags.untag(REPO, "never"));
        assertFalse(tags.untag("no/such", "a"));
        assertEquals(Optional.empty(), tags.resolve(REPO, "a"));
        assertEquals(List.of("b"), tags.list(REPO));
        assertFalse(Files.exists(root.resolve(PathLayout.tagDirectory(REPO, "a").substring(1))));
    }

    @Test
    void tagsOf() throws IOException {
        tags.tag(REPO, "a", D1);
        tags.tag(REPO, "b", D2);
        tags.tag(REPO, "c", D1);
        tags.tag(REPO, "d", D1);
        tags.tag(REPO, "d", D2); // moved away from D1
        assertEquals(List.of("a", "c"), tags.tagsOf(REPO, D1));
        assertEquals(List.of("b", "d"), tags.tagsOf(REPO, D2));
        assertEquals(List.of(), tags.tagsOf(REPO, Digest.sha256(utf8("three"))));
        assertEquals(List.of(), tags.tagsOf("no/such", D1));
    }

    @Test
    void tagWritesTheCurrentLinkBeforeTheIndexEntry() throws IOException {
        // a driver that records the order of writes, as a crash between them would cut it
        List<String> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.registry.storage.driver.filesystem.FilesystemDriver disk =
                new dev.registry.storage.driver.filesystem.FilesystemDriver(root);
        StorageDriverRecorder recorder = new StorageDriverRecorder(disk, writes);
        new TagService(recorder).tag(REPO, "v1", D1);
        assertEquals(List.of(PathLayout.tagCurrentLink(REPO, "v1"), PathLayout.tagIndexLink(REPO, "v1", D1)), writes);
    }

    @Test
    void halfWrittenTagDirectoriesAreLeftOutOfListings() throws IOException {
        tags.tag(REPO, "whole", D1);
        // a crash after the index entry and before current/link (registry:2's order)
        registry.driver().putContent(PathLayout.tagIndexLink(REPO, "index-only", D2), utf8(D2.toString()));
        // a crash after the current/ directory was made and before the link was renamed into it
        Files.createDirectories(root.resolve(PathLayout.tagCurrentLink(REPO, "empty-current").substring(1)).getParent());
        Files.writeString(root.resolve(PathLayout.tagCurrentLink(REPO, "empty-current").substring(1)).getParent()
                .resolve(".tmp-link-0"), D2.toString());
        // a bare directory, as a crash in the middle of untag's recursive delete leaves
        Files.createDirectories(root.resolve(PathLayout.tagDirectory(REPO, "bare").substring(1)));
        // a link another tool wrote without syncing, cut short by a power loss
        Files.createDirectories(root.resolve(PathLayout.tagCurrentLink(REPO, "truncated").substring(1)).getParent());
        Files.write(root.resolve(PathLayout.tagCurrentLink(REPO, "truncated").substring(1)), new byte[0]);

        assertEquals(List.of("whole"), tags.list(REPO));
        assertEquals(List.of("whole"), tags.tagsOf(REPO, D1));
        assertEquals(List.of(), tags.tagsOf(REPO, D2));
        assertEquals(Optional.empty(), tags.resolve(REPO, "index-only"));
        assertEquals(Optional.empty(), tags.resolve(REPO, "bare"));

        // pushing the tag again completes it
        tags.tag(REPO, "index-only", D2);
        assertEquals(List.of("index-only", "whole"), tags.list(REPO));
        assertEquals(Optional.of(D2), tags.resolve(REPO, "index-only"));
    }

    @Test
    void corruptLinkIsAnIOException() throws IOException {
        registry.driver().putContent(PathLayout.tagCurrentLink(REPO, "bad"), utf8("not a digest"));
        assertThrows(IOException.class, () -> tags.resolve(REPO, "bad"));
    }

    @Test
    void linkWithTrailingNewlineIsRead() throws IOException {
        // some tools write link files with a newline
        registry.driver().putContent(PathLayout.tagCurrentLink(REPO, "nl"), utf8(D1 + "\n"));
        assertEquals(Optional.of(D1), tags.resolve(REPO, "nl"));
    }

    /** Passes everything to a driver and records the paths of {@code putContent} calls in order. */
    private static final class StorageDriverRecorder extends ForwardingDriver {
        private final List<String> writes;

        StorageDriverRecorder(StorageDriver delegate, List<String> writes) {
            super(delegate);
            this.writes = writes;
        }

        @Override
        public void putContent(String path, byte[] content) throws IOException {
            writes.add(path);
            delegate.putContent(path, content);
        }
    }
}

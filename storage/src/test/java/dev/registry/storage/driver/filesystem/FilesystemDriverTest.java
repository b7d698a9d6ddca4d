package dev.registry.storage.driver.filesystem;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilesystemDriverTest {
    @TempDir
    Path temp;

    Path root;
    FilesystemDriver driver;

    @BeforeEach
    void setUp() throws IOException {
        root = temp.resolve("root");
        driver = new FilesystemDriver(root);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] readAll(ReadableByteChannel channel) throws IOException {
        try (channel) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(333);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                out.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return out.toByteArray();
        }
    }

    private static byte[] sequence(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private List<String> allFilesUnder(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    // ---------------------------------------------------------------- basics

    @Test
    void constructorCreatesRootAndNameIsFilesystem() throws IOException {
        Path nested = temp.resolve("x/y/z");
        FilesystemDriver d = new FilesystemDriver(nested);
        assertTrue(Files.isDirectory(nested));
        assertEquals(nested.toAbsolutePath().normalize(), d.root());
        assertEquals("filesystem", d.name());
        assertTrue(d.redirectUrl("/a", "GET", Duration.ofMinutes(1)).isEmpty());
    }

    @Test
    void putContentAndGetContentRoundTrip() throws IOException {
        byte[] content = sequence(70_000);
        driver.putContent("/a/b/c/data", content);
        assertArrayEquals(content, driver.getContent("/a/b/c/data"));
        // the object is a plain file at the mapped place, byte for byte
        assertArrayEquals(content, Files.readAllBytes(root.resolve("a/b/c/data")));
    }

    @Test
    void putContentOfEmptyContent() throws IOException {
        driver.putContent("/empty", new byte[0]);
        assertArrayEquals(new byte[0], driver.getContent("/empty"));
        assertEquals(0, driver.stat("/empty").size());
    }

    @Test
    void putContentReplacesAndLeavesNoTempFiles() throws IOException {
        driver.putContent("/dir/file", bytes("old content that is longer"));
        driver.putContent("/dir/file", bytes("new"));
        assertEquals("new", new String(driver.getContent("/dir/file"), StandardCharsets.UTF_8));
        assertEquals(List.of("file"), listNames(root.resolve("dir")));
        assertEquals(List.of("/dir/file"), driver.list("/dir"));
    }

    @Test
    void putVolatileContentReplacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        driver.putVolatileContent("/v/startedat", bytes("first"));
        driver.putVolatileContent("/v/startedat", bytes("2"));
        assertEquals("2", new String(driver.getContent("/v/startedat"), StandardCharsets.UTF_8));
        assertEquals(List.of("startedat"), listNames(root.resolve("v")));
    }

    @Test
    void writeAllGathersBuffersInOrderAcrossAnEarlyFlush() throws IOException {
        java.util.Random random = new java.util.Random(5);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        try (StorageWriter w = driver.writer("/g/data", false)) {
            for (int round = 0; round < 12; round++) { // 12 x ~3 MiB crosses the 32 MiB early flush
                java.nio.ByteBuffer[] batch = new java.nio.ByteBuffer[3];
                long size = 0;
                for (int i = 0; i < batch.length; i++) {
                    byte[] b = new byte[1 + random.nextInt(2 * 1024 * 1024)];
                    random.nextBytes(b);
                    expected.writeBytes(b);
                    batch[i] = i == 1 ? java.nio.ByteBuffer.allocateDirect(b.length).put(b).flip() : java.nio.ByteBuffer.wrap(b);
                    size += b.length;
                }
                assertEquals(size, w.writeAll(batch));
                for (java.nio.ByteBuffer b : batch) {
                    assertEquals(0, b.remaining());
                }
            }
            assertEquals(expected.size(), w.size());
            w.commit();
        }
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(root.resolve("g/data")));
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void concurrentReadersSeeOldOrNewContentNeverAMix() throws Exception {
        byte[] a = new byte[96 * 1024];
        byte[] b = new byte[160 * 1024];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        driver.putContent("/swap/obj", a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                int reads = 0;
                while (!done.get() || reads < 10) {
                    byte[] got = driver.getContent("/swap/obj");
                    if (!Arrays.equals(got, a) && !Arrays.equals(got, b)) {
                        failure.set(new AssertionError("torn read of " + got.length + " bytes"));
                        return;
                    }
                    for (String child : driver.list("/swap")) {
                        if (child.contains(".tmp-")) {
                            failure.set(new AssertionError("list shows temp file " + child));
                            return;
                        }
                    }
                    reads++;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 150; i++) {
            driver.putContent("/swap/obj", i % 2 == 0 ? b : a);
        }
        done.set(true);
        reader.join(60_000);
        assertFalse(reader.isAlive());
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertEquals(List.of("obj"), listNames(root.resolve("swap")));
        assertArrayEquals(a, driver.getContent("/swap/obj"));
    }

    @Test
    void listHidesTempFiles() throws IOException {
        driver.putContent("/d/real", bytes("x"));
        Files.write(root.resolve("d/.tmp-real-1234"), bytes("partial"));
        assertEquals(List.of("/d/real"), driver.list("/d"));
    }

    // ---------------------------------------------------------------- reader

    @Test
    void readerFromOffset() throws IOException {
        byte[] content = sequence(1000);
        driver.putContent("/blob", content);
        assertArrayEquals(content, readAll(driver.reader("/blob", 0)));
        assertArrayEquals(Arrays.copyOfRange(content, 500, 1000), readAll(driver.reader("/blob", 500)));
        assertArrayEquals(Arrays.copyOfRange(content, 999, 1000), readAll(driver.reader("/blob", 999)));
        assertArrayEquals(new byte[0], readAll(driver.reader("/blob", 1000)));
    }

    @Test
    void readerIsPositionedFileChannel() throws IOException {
        driver.putContent("/blob", sequence(100));
        try (ReadableByteChannel channel = driver.reader("/blob", 40)) {
            FileChannel fc = assertInstanceOf(FileChannel.class, channel);
            assertEquals(40, fc.position());
            assertEquals(100, fc.size());
        }
    }

    @Test
    void readerBeyondEndFails() throws IOException {
        driver.putContent("/blob", sequence(10));
        IOException e = assertThrows(IOException.class, () -> driver.reader("/blob", 11));
        assertFalse(e instanceof PathNotFoundException);
    }

    // ---------------------------------------------------------------- writer

    @Test
    void writerAppendResumeAndSize() throws IOException {
        try (StorageWriter w = driver.writer("/up/data", false)) {
            assertEquals(0, w.size());
            assertEquals(5, w.write(ByteBuffer.wrap(bytes("hello"))));
            assertEquals(5, w.size());
            assertTrue(w.isOpen());
            // closed without commit: bytes stay for a resume
        }
        try (StorageWriter w = driver.writer("/up/data", true)) {
            assertEquals(5, w.size());
            w.write(ByteBuffer.wrap(bytes(" world")));
            assertEquals(11, w.size());
            w.commit();
        }
        assertEquals("hello world", new String(driver.getContent("/up/data"), StandardCharsets.UTF_8));
        assertEquals(11, driver.stat("/up/data").size());
    }

    @Test
    void writerWithoutAppendTruncates() throws IOException {
        driver.putContent("/f", bytes("existing content"));
        try (StorageWriter w = driver.writer("/f", false)) {
            assertEquals(0, w.size());
            w.write(ByteBuffer.wrap(bytes("new")));
            w.commit();
        }
        assertEquals("new", new String(driver.getContent("/f"), StandardCharsets.UTF_8));
    }

    @Test
    void writerAppendOnMissingFileCreatesItAndParents() throws IOException {
        try (StorageWriter w = driver.writer("/deep/er/path/data", true)) {
            assertEquals(0, w.size());
            w.commit();
        }
        FileInfo info = driver.stat("/deep/er/path/data");
        assertFalse(info.directory());
        assertEquals(0, info.size());
    }

    @Test
    void writerLargeWriteIsComplete() throws IOException {
        byte[] content = sequence(3 * 1024 * 1024 + 17);
        try (StorageWriter w = driver.writer("/big", false)) {
            assertEquals(content.length, w.write(ByteBuffer.wrap(content)));
            w.commit();
        }
        assertArrayEquals(content, driver.getContent("/big"));
    }

    @Test
    void writerCancelRemovesTheFile() throws IOException {
        StorageWriter w = driver.writer("/c/data", false);
        w.write(ByteBuffer.wrap(bytes("abc")));
        w.cancel();
        assertFalse(w.isOpen());
        assertThrows(PathNotFoundException.class, () -> driver.stat("/c/data"));
        assertFalse(Files.exists(root.resolve("c/data")));
    }

    // ---------------------------------------------------------------- stat / list

    @Test
    void statFileAndDirectory() throws IOException {
        Instant before = Instant.now().minusSeconds(5);
        driver.putContent("/s/file", sequence(123));
        FileInfo file = driver.stat("/s/file");
        assertEquals("/s/file", file.path());
        assertEquals(123, file.size());
        assertFalse(file.directory());
        assertTrue(file.modified().isAfter(before));
        assertFalse(file.modified().isAfter(Instant.now().plusSeconds(5)));

        FileInfo dir = driver.stat("/s");
        assertEquals("/s", dir.path());
        assertTrue(dir.directory());
        assertEquals(0, dir.size());
    }

    @Test
    void listDirectChildrenOnly() throws IOException {
        driver.putContent("/l/a", bytes("1"));
        driver.putContent("/l/b/c", bytes("2"));
        driver.putContent("/l/b/d/e", bytes("3"));
        assertEquals(Set.of("/l/a", "/l/b"), new HashSet<>(driver.list("/l")));
        assertEquals(2, driver.list("/l").size());
        assertEquals(Set.of("/l/b/c", "/l/b/d"), new HashSet<>(driver.list("/l/b")));
        assertEquals(Set.of("/l"), new HashSet<>(driver.list("/")));
    }

    @Test
    void listOfEmptyDirectoryIsEmpty() throws IOException {
        Files.createDirectories(root.resolve("empty"));
        assertEquals(List.of(), driver.list("/empty"));
    }

    // ---------------------------------------------------------------- move / delete

    @Test
    void moveReplacesDestination() throws IOException {
        driver.putContent("/m/src", bytes("new"));
        driver.putContent("/m/dst", bytes("old old old"));
        driver.move("/m/src", "/m/dst");
        assertEquals("new", new String(driver.getContent("/m/dst"), StandardCharsets.UTF_8));
        assertThrows(PathNotFoundException.class, () -> driver.getContent("/m/src"));
        assertEquals(List.of("/m/dst"), driver.list("/m"));
    }

    @Test
    void moveCreatesDestinationParents() throws IOException {
        byte[] content = sequence(5000);
        driver.putContent("/up/data", content);
        driver.move("/up/data", "/blobs/sha256/ab/abcdef/data");
        assertArrayEquals(content, driver.getContent("/blobs/sha256/ab/abcdef/data"));
        assertThrows(PathNotFoundException.class, () -> driver.stat("/up/data"));
    }

    /**
     * A move that fails must not destroy the source: it is the caller's object (for the registry,
     * an upload's verified data), not a temp file of the driver's.
     */
    @Test
    void failedMoveKeepsTheSource() throws IOException {
        driver.putContent("/mv/src", bytes("precious"));
        // the destination is a non-empty directory, which a file cannot replace
        driver.putContent("/mv/dst/child", bytes("x"));
        assertThrows(IOException.class, () -> driver.move("/mv/src", "/mv/dst"));
        assertEquals("x", new String(driver.getContent("/mv/dst/child"), StandardCharsets.UTF_8));
        assertEquals("precious", new String(driver.getContent("/mv/src"), StandardCharsets.UTF_8),
                "source was destroyed by a failed move");
    }

    @Test
    void deleteIsRecursive() throws IOException {
        driver.putContent("/t/a/b/c", bytes("1"));
        driver.putContent("/t/a/d", bytes("2"));
        driver.putContent("/t/x", bytes("3"));
        driver.putContent("/keep/y", bytes("4"));
        driver.delete("/t/a");
        assertThrows(PathNotFoundException.class, () -> driver.stat("/t/a"));
        assertEquals(List.of("/t/x"), driver.list("/t"));
        driver.delete("/t");
        assertThrows(PathNotFoundException.class, () -> driver.stat("/t"));
        assertFalse(Files.exists(root.resolve("t")));
        assertArrayEquals(bytes("4"), driver.getContent("/keep/y"));
        assertTrue(Files.isDirectory(root));
    }

    @Test
    void deleteSingleFile() throws IOException {
        driver.putContent("/f/one", bytes("1"));
        driver.putContent("/f/two", bytes("2"));
        driver.delete("/f/one");
        assertEquals(List.of("/f/two"), driver.list("/f"));
    }

    // ---------------------------------------------------------------- missing paths

    @Test
    void missingPathsRaisePathNotFound() throws IOException {
        driver.putContent("/exists/file", bytes("x"));
        assertPathNotFound(() -> driver.getContent("/missing"));
        assertPathNotFound(() -> driver.getContent("/exists/missing"));
        assertPathNotFound(() -> driver.reader("/missing", 0));
        assertPathNotFound(() -> driver.reader("/missing", 10));
        assertPathNotFound(() -> driver.stat("/missing"));
        assertPathNotFound(() -> driver.stat("/exists/missing/deeper"));
        assertPathNotFound(() -> driver.list("/missing"));
        assertPathNotFound(() -> driver.move("/missing", "/exists/other"));
        assertPathNotFound(() -> driver.delete("/missing"));
        assertPathNotFound(() -> driver.delete("/exists/missing"));
        // nothing was created by the failed calls
        assertEquals(List.of("", "exists", "exists/file"), allFilesUnder(root));
    }

    private static void assertPathNotFound(Executable executable) {
        PathNotFoundException e = assertThrows(PathNotFoundException.class, executable);
        assertTrue(e.getMessage().startsWith("path not found: /"), e.getMessage());
    }

    // ---------------------------------------------------------------- path traversal

    @ParameterizedTest
    @ValueSource(strings = {
            "/../outside/secret",
            "/a/../../outside/secret",
            "/a/../b",
            "/a/./b",
            "/./a",
            "/..",
            "/a/..",
            "/.",
            "relative",
            "outside/secret",
            "",
            "../outside/secret",
            "/a\\..\\..\\outside\\secret",
            "/..\\outside\\secret",
            "/a\\b",
            "/a\u0000b",
            "/\u0000",
    })
    void pathTraversalIsRefusedEverywhere(String bad) throws IOException {
        Path outside = temp.resolve("outside");
        Files.createDirectories(outside);
        Path secret = outside.resolve("secret");
        Files.write(secret, bytes("top secret"));
        driver.putContent("/good", bytes("good"));

        assertIllegal(() -> driver.getContent(bad));
        assertIllegal(() -> driver.putContent(bad, bytes("overwritten")));
        assertIllegal(() -> driver.reader(bad, 0));
        assertIllegal(() -> driver.writer(bad, true));
        assertIllegal(() -> driver.writer(bad, false));
        assertIllegal(() -> driver.stat(bad));
        assertIllegal(() -> driver.list(bad));
        assertIllegal(() -> driver.move(bad, "/moved"));
        assertIllegal(() -> driver.move("/good", bad));
        assertIllegal(() -> driver.delete(bad));

        assertArrayEquals(bytes("top secret"), Files.readAllBytes(secret));
        assertEquals(List.of("", "secret"), allFilesUnder(outside));
        assertEquals(List.of("", "good"), allFilesUnder(root));
        assertEquals(List.of("", "outside", "outside/secret", "root", "root/good"), allFilesUnder(temp));
        assertArrayEquals(bytes("good"), driver.getContent("/good"));
    }

    @Test
    void nullPathIsRefused() {
        assertIllegal(() -> driver.getContent(null));
        assertIllegal(() -> driver.stat(null));
        assertIllegal(() -> driver.delete(null));
    }

    @Test
    void resolveStaysUnderRoot() {
        assertEquals(root.resolve("a/b"), driver.resolve("/a/b"));
        assertEquals(root, driver.resolve("/"));
        // names that merely contain dots are fine
        assertEquals(root.resolve("a/..b/c.."), driver.resolve("/a/..b/c.."));
        assertEquals(root.resolve(".tmpx/...").normalize(), driver.resolve("/.tmpx/..."));
    }

    private static void assertIllegal(Executable executable) {
        assertThrows(IllegalArgumentException.class, executable);
    }

    @Test
    void randomContentRoundTripsThroughWriterAndReader() throws IOException {
        Random random = new Random(42);
        List<byte[]> chunks = new ArrayList<>();
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 20; i++) {
            byte[] chunk = new byte[random.nextInt(50_000)];
            random.nextBytes(chunk);
            chunks.add(chunk);
            all.write(chunk, 0, chunk.length);
        }
        long expectedSize = 0;
        for (byte[] chunk : chunks) {
            try (StorageWriter w = driver.writer("/r/data", true)) {
                assertEquals(expectedSize, w.size());
                w.write(ByteBuffer.wrap(chunk));
                expectedSize += chunk.length;
                assertEquals(expectedSize, w.size());
            }
        }
        assertArrayEquals(all.toByteArray(), readAll(driver.reader("/r/data", 0)));
        assertEquals(expectedSize, driver.stat("/r/data").size());
    }

    /**
     * A blob link written while another request deletes the link's directory tree (a blob deleted
     * and pushed again at once): the delete takes the temporary file away before its rename, and
     * the write is made again instead of failing.
     */
    @Test
    void putContentSurvivesItsDirectoryBeingDeletedUnderIt() throws Exception {
        driver.putContent("/repo/_layers/sha256/ab/link", new byte[] {0});
        java.util.concurrent.atomic.AtomicInteger deletes = new java.util.concurrent.atomic.AtomicInteger();
        driver.beforeRename = () -> {
            if (deletes.getAndIncrement() == 0) {
                try {
                    driver.delete("/repo/_layers/sha256/ab");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        driver.putContent("/repo/_layers/sha256/ab/link", new byte[] {1});
        assertEquals(2, deletes.get(), "the write was made a second time");
        assertArrayEquals(new byte[] {1}, driver.getContent("/repo/_layers/sha256/ab/link"));
        assertEquals(List.of("/repo/_layers/sha256/ab/link"), driver.list("/repo/_layers/sha256/ab"));
    }
}

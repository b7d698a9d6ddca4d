package dev.registry.storage.driver;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link StorageDriver} promises, as one suite: a driver's test extends this class and
 * implements {@link #newDriver()}; the registry relies on nothing that is not checked here (and in
 * the SPI's Javadoc). Every test starts from an empty store.
 *
 * <p>Some tests move tens of MiB and create well over a thousand objects, so that a driver must
 * stream (never buffer a whole object) and page through its backend's listings.
 */
public abstract class StorageDriverContract {
    /** More than one page of every object store's listing (S3 and GCS return at most 1,000). */
    protected static final int MANY_CHILDREN = 1_500;
    private static final int MiB = 1024 * 1024;

    /** The driver under test. */
    protected StorageDriver driver;

    /** A driver over a fresh, empty store (a new directory, bucket or root prefix). */
    protected abstract StorageDriver newDriver() throws Exception;

    /** Releases what {@link #newDriver()} set up; by default nothing. */
    protected void closeDriver(StorageDriver driver) throws Exception {
    }

    /** Size of the large-stream tests: big enough for several object-store parts. */
    /**
     * Whether the store behind the driver replaces an object atomically for readers. Real S3, GCS
     * and local filesystems do; s3proxy's transient store does not: a GET racing a PUT can return
     * the old object's length filled with the new object's bytes (seen as 98304×'b'), which no
     * client-side code can prevent in a single GET.
     */
    protected boolean storeReplacesObjectsAtomically() {
        return true;
    }

    protected long largeStreamBytes() {
        return 40L * MiB;
    }

    @BeforeEach
    final void openDriverUnderTest() throws Exception {
        driver = newDriver();
    }

    @AfterEach
    final void closeDriverUnderTest() throws Exception {
        if (driver != null) {
            closeDriver(driver);
        }
    }

    // ------------------------------------------------------------------ helpers

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    protected static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] readAll(ReadableByteChannel channel) throws IOException {
        try (channel) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024 + 7);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                out.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return out.toByteArray();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Size and SHA-256 of what a channel holds, read through a small buffer (never all at once). */
    private record Summary(long size, String sha256) {
    }

    private static Summary summarize(ReadableByteChannel channel) throws IOException {
        try (channel) {
            MessageDigest digest = sha256();
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            long size = 0;
            int n;
            while ((n = channel.read(buffer)) >= 0) {
                buffer.flip();
                digest.update(buffer);
                size += n;
                buffer.clear();
            }
            return new Summary(size, HexFormat.of().formatHex(digest.digest()));
        }
    }

    /**
     * Writes {@code size} pseudo-random bytes (a function of {@code seed} and the position only)
     * through {@code writer} in {@code piece}-sized writes, from {@code from} on.
     */
    private static void writeStream(StorageWriter writer, long from, long size, int piece, long seed) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(piece);
        long position = from;
        long end = from + size;
        while (position < end) {
            buffer.clear();
            int n = (int) Math.min(piece, end - position);
            fill(buffer.array(), n, position, seed);
            buffer.limit(n);
            while (buffer.hasRemaining()) {
                writer.write(buffer);
            }
            position += n;
        }
    }

    /** The stream's bytes: each 8-byte word is a hash of its index, so any offset is reproducible. */
    private static void fill(byte[] into, int n, long position, long seed) {
        long word = mix(seed, position >>> 3);
        for (int i = 0; i < n; i++) {
            long p = position + i;
            if ((p & 7) == 0) {
                word = mix(seed, p >>> 3);
            }
            into[i] = (byte) (word >>> ((p & 7) * 8));
        }
    }

    /** SplitMix64's finaliser over the word index. */
    private static long mix(long seed, long index) {
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static Summary expectedStream(long from, long size, long seed) {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[MiB];
        long position = from;
        while (position < from + size) {
            int n = (int) Math.min(buffer.length, from + size - position);
            fill(buffer, n, position, seed);
            digest.update(buffer, 0, n);
            position += n;
        }
        return new Summary(size, HexFormat.of().formatHex(digest.digest()));
    }

    protected static void assertPathNotFound(Executable call) {
        assertThrows(PathNotFoundException.class, call);
    }

    private static Set<String> set(List<String> list) {
        Set<String> set = new HashSet<>(list);
        assertEquals(list.size(), set.size(), () -> "duplicates in listing " + list);
        return set;
    }

    // ------------------------------------------------------------------ name

    @Test
    void nameIsTheConfigurationName() {
        assertTrue(driver.name().matches("[a-z0-9]+"), driver.name());
    }

    // ------------------------------------------------------------------ content

    @Test
    void contentRoundTrips() throws IOException {
        byte[] small = random(70_000, 1);
        driver.putContent("/a/b/c/data", small);
        assertArrayEquals(small, driver.getContent("/a/b/c/data"));
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        driver.putContent("/binary", all);
        assertArrayEquals(all, driver.getContent("/binary"));
    }

    @Test
    void emptyContentRoundTrips() throws IOException {
        driver.putContent("/empty", new byte[0]);
        assertArrayEquals(new byte[0], driver.getContent("/empty"));
        FileInfo info = driver.stat("/empty");
        assertEquals(0, info.size());
        assertFalse(info.directory());
    }

    @Test
    void putContentReplacesLongerAndShorterContent() throws IOException {
        driver.putContent("/dir/file", bytes("old content that is longer"));
        driver.putContent("/dir/file", bytes("new"));
        assertEquals("new", text(driver.getContent("/dir/file")));
        assertEquals(3, driver.stat("/dir/file").size());
        driver.putContent("/dir/file", bytes("newer and longer than before"));
        assertEquals("newer and longer than before", text(driver.getContent("/dir/file")));
        assertEquals(List.of("/dir/file"), driver.list("/dir"));
    }

    @Test
    void volatileContentRoundTripsAndReplaces() throws IOException {
        driver.putVolatileContent("/v/startedat", bytes("2026-01-01T00:00:00Z"));
        assertEquals("2026-01-01T00:00:00Z", text(driver.getContent("/v/startedat")));
        driver.putVolatileContent("/v/startedat", bytes("x"));
        assertEquals("x", text(driver.getContent("/v/startedat")));
    }

    @Test
    void concurrentReadersSeeOldOrNewContentNeverAMix() throws Exception {
        assumeTrue(storeReplacesObjectsAtomically(),
                "the test store does not replace objects atomically, so a torn read would be the store's, not the driver's");
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
                while (!done.get() || reads < 5) {
                    byte[] got = driver.getContent("/swap/obj");
                    if (!Arrays.equals(got, a) && !Arrays.equals(got, b)) {
                        failure.set(new AssertionError("torn read of " + got.length + " bytes: " + describe(got)));
                        return;
                    }
                    reads++;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 40; i++) {
            driver.putContent("/swap/obj", i % 2 == 0 ? b : a);
        }
        done.set(true);
        reader.join(120_000);
        assertFalse(reader.isAlive());
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertEquals(List.of("/swap/obj"), driver.list("/swap"));
        assertArrayEquals(a, driver.getContent("/swap/obj"));
    }

    /** Run-length summary such as {@code 98304×'b'}, to tell a stale length from interleaved bytes. */
    private static String describe(byte[] got) {
        StringBuilder runs = new StringBuilder();
        int start = 0;
        for (int i = 1; i <= got.length; i++) {
            if (i == got.length || got[i] != got[start]) {
                runs.append(runs.isEmpty() ? "" : " + ").append(i - start).append("×'").append((char) got[start]).append('\'');
                start = i;
            }
        }
        return runs.toString();
    }

    // ------------------------------------------------------------------ writers

    @Test
    void writerCommitPublishesWhatWasWritten() throws IOException {
        byte[] content = random(300_000, 2);
        try (StorageWriter writer = driver.writer("/w/data", false)) {
            assertEquals(0, writer.size());
            assertTrue(writer.isOpen());
            assertEquals(100_000, writer.write(ByteBuffer.wrap(content, 0, 100_000)));
            assertEquals(100_000, writer.size());
            ByteBuffer[] rest = {ByteBuffer.wrap(content, 100_000, 150_000), ByteBuffer.wrap(content, 250_000, 50_000)};
            assertEquals(200_000, writer.writeAll(rest));
            assertEquals(300_000, writer.size());
            writer.commit();
        }
        assertArrayEquals(content, driver.getContent("/w/data"));
        assertEquals(300_000, driver.stat("/w/data").size());
    }

    @Test
    void emptyWriterCommitsAnEmptyObject() throws IOException {
        try (StorageWriter writer = driver.writer("/w/empty", false)) {
            writer.commit();
        }
        assertArrayEquals(new byte[0], driver.getContent("/w/empty"));
        assertEquals(0, driver.stat("/w/empty").size());
    }

    @Test
    void appendToAMissingPathStartsEmpty() throws IOException {
        try (StorageWriter writer = driver.writer("/deep/er/path/data", true)) {
            assertEquals(0, writer.size());
            writer.write(ByteBuffer.wrap(bytes("first")));
            writer.commit();
        }
        assertEquals("first", text(driver.getContent("/deep/er/path/data")));
    }

    /**
     * As the registry resumes an upload: each chunk through a new writer (on a replica that knows
     * nothing of the previous ones), closed without commit, and one commit at the end. The chunks
     * are of very different sizes, smaller and larger than an object store's minimum part.
     */
    @Test
    void writersResumeAfterCloseAcrossInstances() throws IOException {
        int[] sizes = {1, 5_000, 0, 6 * MiB + 3, 17, 2 * MiB, 5 * MiB, 1, 300_000};
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        long size = 0;
        for (int i = 0; i < sizes.length; i++) {
            byte[] chunk = random(sizes[i], 100 + i);
            try (StorageWriter writer = driver.writer("/up/data", true)) {
                assertEquals(size, writer.size(), "size seen by chunk " + i);
                writer.write(ByteBuffer.wrap(chunk));
                size += chunk.length;
                assertEquals(size, writer.size());
            }
            expected.write(chunk, 0, chunk.length);
        }
        try (StorageWriter writer = driver.writer("/up/data", true)) {
            assertEquals(size, writer.size());
            writer.commit();
        }
        assertArrayEquals(expected.toByteArray(), readAll(driver.reader("/up/data", 0)));
        assertEquals(size, driver.stat("/up/data").size());
    }

    @Test
    void writerWithoutAppendDiscardsAnUnfinishedWrite() throws IOException {
        try (StorageWriter writer = driver.writer("/t/data", true)) {
            writer.write(ByteBuffer.wrap(bytes("abandoned bytes")));
        }
        try (StorageWriter writer = driver.writer("/t/data", false)) {
            assertEquals(0, writer.size());
            writer.write(ByteBuffer.wrap(bytes("new")));
            writer.commit();
        }
        assertEquals("new", text(driver.getContent("/t/data")));
    }

    @Test
    void writerWithoutAppendReplacesACommittedObject() throws IOException {
        driver.putContent("/f", bytes("existing content"));
        try (StorageWriter writer = driver.writer("/f", false)) {
            assertEquals(0, writer.size());
            writer.write(ByteBuffer.wrap(bytes("new")));
            writer.commit();
        }
        assertEquals("new", text(driver.getContent("/f")));
    }

    @Test
    void cancelRemovesEverythingWrittenIncludingEarlierWriters() throws IOException {
        try (StorageWriter writer = driver.writer("/c/data", true)) {
            writer.write(ByteBuffer.wrap(random(1000, 3)));
        }
        StorageWriter writer = driver.writer("/c/data", true);
        assertEquals(1000, writer.size());
        writer.write(ByteBuffer.wrap(bytes("abc")));
        writer.cancel();
        assertFalse(writer.isOpen());
        assertPathNotFound(() -> driver.stat("/c/data"));
        assertPathNotFound(() -> driver.getContent("/c/data"));
        try (StorageWriter fresh = driver.writer("/c/data", true)) {
            assertEquals(0, fresh.size(), "a cancelled write must not be resumed");
        }
    }

    @Test
    void largeStreamRoundTripsThroughOneWriter() throws IOException {
        long size = largeStreamBytes();
        try (StorageWriter writer = driver.writer("/large/data", false)) {
            writeStream(writer, 0, size, MiB + 13, 7);
            assertEquals(size, writer.size());
            writer.commit();
        }
        assertEquals(size, driver.stat("/large/data").size());
        assertEquals(expectedStream(0, size, 7), summarize(driver.reader("/large/data", 0)));
        long offset = size / 2 + 3;
        assertEquals(expectedStream(offset, size - offset, 7), summarize(driver.reader("/large/data", offset)));
    }

    @Test
    void largeStreamResumedAcrossWritersAndMoved() throws IOException {
        long size = largeStreamBytes();
        long first = size / 3 + 11;
        try (StorageWriter writer = driver.writer("/large/_uploads/x/data", true)) {
            writeStream(writer, 0, first, 256 * 1024, 9);
        }
        try (StorageWriter writer = driver.writer("/large/_uploads/x/data", true)) {
            assertEquals(first, writer.size());
            writeStream(writer, first, size - first, 3 * MiB, 9);
            assertEquals(size, writer.size());
            writer.commit();
        }
        driver.move("/large/_uploads/x/data", "/large/blobs/ab/data");
        assertPathNotFound(() -> driver.stat("/large/_uploads/x/data"));
        assertEquals(size, driver.stat("/large/blobs/ab/data").size());
        assertEquals(expectedStream(0, size, 9), summarize(driver.reader("/large/blobs/ab/data", 0)));
    }

    // ------------------------------------------------------------------ atomic writers

    /** The driver's atomic writer for {@code path}; the test is skipped for drivers without one. */
    private StorageWriter atomicWriter(String path) throws IOException {
        Optional<StorageWriter> writer = driver.atomicWriter(path);
        Assumptions.assumeTrue(writer.isPresent(), driver.name() + " has no atomic writer (the registry writes aside and moves)");
        return writer.get();
    }

    @Test
    void atomicWriterShowsNothingUntilItsCommitThenTheWholeObject() throws IOException {
        driver.putContent("/aw/data", bytes("old content"));
        long size = 6L * MiB + 17; // more than one part of an object store
        try (StorageWriter writer = atomicWriter("/aw/data")) {
            assertEquals(0, writer.size());
            writeStream(writer, 0, size, MiB + 5, 21);
            assertEquals(size, writer.size());
            assertEquals("old content", text(driver.getContent("/aw/data")));
            assertEquals(11, driver.stat("/aw/data").size());
            assertEquals(List.of("/aw/data"), driver.list("/aw"));
            writer.commit();
        }
        assertEquals(size, driver.stat("/aw/data").size());
        assertEquals(expectedStream(0, size, 21), summarize(driver.reader("/aw/data", 0)));
    }

    @Test
    void atomicWriterOfSmallContentCommits() throws IOException {
        try (StorageWriter writer = atomicWriter("/aw/small/data")) {
            writer.write(ByteBuffer.wrap(bytes("small")));
            assertPathNotFound(() -> driver.stat("/aw/small/data"));
            writer.commit();
        }
        assertEquals("small", text(driver.getContent("/aw/small/data")));
    }

    @Test
    void atomicWriterClosedWithoutCommitOrCancelledLeavesThePathAsItWas() throws IOException {
        driver.putContent("/aw/kept/data", bytes("kept"));
        try (StorageWriter writer = atomicWriter("/aw/kept/data")) {
            writeStream(writer, 0, 6L * MiB, MiB, 22);
        } // closed without commit
        StorageWriter cancelled = atomicWriter("/aw/kept/data");
        writeStream(cancelled, 0, 6L * MiB, MiB, 23);
        cancelled.cancel();
        assertFalse(cancelled.isOpen());
        assertEquals("kept", text(driver.getContent("/aw/kept/data")));

        StorageWriter abandoned = atomicWriter("/aw/new/data");
        writeStream(abandoned, 0, 6L * MiB, MiB, 24);
        abandoned.cancel();
        assertPathNotFound(() -> driver.stat("/aw/new/data"));
        assertPathNotFound(() -> driver.list("/aw/new"));
        try (StorageWriter resumed = driver.writer("/aw/new/data", true)) {
            assertEquals(0, resumed.size(), "an atomic writer's bytes must not be resumable");
        }
    }

    /** Two pushes of the same blob at once: both writes commit, and the object is whole. */
    @Test
    void concurrentAtomicWritersOfOnePathBothCommit() throws IOException {
        long size = 6L * MiB + 1;
        StorageWriter first = atomicWriter("/aw/same/data");
        StorageWriter second = atomicWriter("/aw/same/data");
        writeStream(first, 0, size / 2, MiB, 25);
        writeStream(second, 0, size, MiB, 25);
        writeStream(first, size / 2, size - size / 2, MiB, 25);
        second.commit();
        second.close();
        assertEquals(expectedStream(0, size, 25), summarize(driver.reader("/aw/same/data", 0)));
        first.commit();
        first.close();
        assertEquals(size, driver.stat("/aw/same/data").size());
        assertEquals(expectedStream(0, size, 25), summarize(driver.reader("/aw/same/data", 0)));
    }

    // ------------------------------------------------------------------ readers

    @Test
    void readerStartsAtTheOffset() throws IOException {
        byte[] content = random(1000, 4);
        driver.putContent("/blob", content);
        assertArrayEquals(content, readAll(driver.reader("/blob", 0)));
        assertArrayEquals(Arrays.copyOfRange(content, 1, 1000), readAll(driver.reader("/blob", 1)));
        assertArrayEquals(Arrays.copyOfRange(content, 500, 1000), readAll(driver.reader("/blob", 500)));
        assertArrayEquals(Arrays.copyOfRange(content, 999, 1000), readAll(driver.reader("/blob", 999)));
        assertArrayEquals(new byte[0], readAll(driver.reader("/blob", 1000)));
    }

    /** The server sends from direct buffers: a reader fills them as it fills heap ones, in buffers of any size. */
    @Test
    void readerFillsDirectBuffers() throws IOException {
        byte[] content = random(300_000, 44);
        driver.putContent("/blob", content);
        for (int capacity : new int[] {1, 1000, 100_000, 256 * 1024}) {
            java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocateDirect(capacity);
            try (ReadableByteChannel reader = driver.reader("/blob", 7)) {
                while (reader.read(buffer) >= 0) {
                    buffer.flip();
                    byte[] chunk = new byte[buffer.remaining()];
                    buffer.get(chunk);
                    read.write(chunk, 0, chunk.length);
                    buffer.clear();
                    if (capacity == 1 && read.size() == 5000) {
                        break; // a byte at a time is slow; the first few thousand tell
                    }
                }
            }
            byte[] expected = capacity == 1 ? Arrays.copyOfRange(content, 7, 5007) : Arrays.copyOfRange(content, 7, content.length);
            assertArrayEquals(expected, read.toByteArray(), "direct buffers of " + capacity + " bytes");
        }
    }

    @Test
    void readerOfEmptyObject() throws IOException {
        driver.putContent("/zero", new byte[0]);
        assertArrayEquals(new byte[0], readAll(driver.reader("/zero", 0)));
    }

    @Test
    void readerBeyondTheEndFailsButNotAsMissing() throws IOException {
        driver.putContent("/blob", random(10, 5));
        IOException e = assertThrows(IOException.class, () -> readAll(driver.reader("/blob", 11)));
        assertFalse(e instanceof PathNotFoundException, e.toString());
    }

    // ------------------------------------------------------------------ stat

    @Test
    void statOfFilesAndDirectories() throws IOException {
        Instant before = Instant.now().minus(Duration.ofMinutes(5));
        driver.putContent("/s/file", random(123, 6));
        driver.putContent("/s/d/e/f", random(1, 6));
        FileInfo file = driver.stat("/s/file");
        assertEquals("/s/file", file.path());
        assertEquals(123, file.size());
        assertFalse(file.directory());
        assertTrue(file.modified().isAfter(before), file.modified().toString());
        assertTrue(file.modified().isBefore(Instant.now().plus(Duration.ofMinutes(5))), file.modified().toString());

        for (String directory : List.of("/s", "/s/d", "/s/d/e")) {
            FileInfo info = driver.stat(directory);
            assertEquals(directory, info.path());
            assertTrue(info.directory(), directory);
            assertEquals(0, info.size());
        }
    }

    @Test
    void statOfAPathThatOnlySharesAPrefixIsMissing() throws IOException {
        driver.putContent("/p/abc", bytes("x"));
        driver.putContent("/p/abd/x", bytes("y"));
        assertPathNotFound(() -> driver.stat("/p/ab"));
        assertPathNotFound(() -> driver.stat("/p/a"));
        assertPathNotFound(() -> driver.list("/p/ab"));
    }

    // ------------------------------------------------------------------ list

    @Test
    void listGivesFullPathsOfDirectChildren() throws IOException {
        driver.putContent("/l/a", bytes("1"));
        driver.putContent("/l/b/c", bytes("2"));
        driver.putContent("/l/b/d/e", bytes("3"));
        driver.putContent("/l-sibling/x", bytes("4"));
        driver.putContent("/lx", bytes("5"));
        assertEquals(Set.of("/l/a", "/l/b"), set(driver.list("/l")));
        assertEquals(Set.of("/l/b/c", "/l/b/d"), set(driver.list("/l/b")));
        assertEquals(Set.of("/l/b/d/e"), set(driver.list("/l/b/d")));
        assertEquals(Set.of("/l", "/l-sibling", "/lx"), set(driver.list("/")));
    }

    @Test
    void listingsPageThroughManyFilesAndDirectories() throws IOException {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < MANY_CHILDREN; i++) {
            // files and directories interleaved, so both kinds span the pages of a listing
            String child = String.format("/many/%05d", i);
            if (i % 2 == 0) {
                driver.putContent(child, bytes(Integer.toString(i)));
            } else {
                driver.putContent(child + "/link", bytes(Integer.toString(i)));
            }
            expected.add(child);
        }
        driver.putContent("/many-after/x", bytes("not a child"));
        assertEquals(expected, set(driver.list("/many")));
        assertEquals("1499", text(driver.getContent("/many/01499/link")));

        driver.delete("/many");
        assertPathNotFound(() -> driver.list("/many"));
        assertPathNotFound(() -> driver.stat("/many/01499/link"));
        assertEquals(Set.of("/many-after"), set(driver.list("/")));
    }

    @Test
    void listOfMissingDirectoryIsPathNotFound() throws IOException {
        driver.putContent("/exists/file", bytes("x"));
        assertPathNotFound(() -> driver.list("/missing"));
        assertPathNotFound(() -> driver.list("/exists/missing"));
    }

    // ------------------------------------------------------------------ move

    @Test
    void moveReplacesTheDestination() throws IOException {
        driver.putContent("/m/src", bytes("new"));
        driver.putContent("/m/dst", bytes("old old old"));
        driver.move("/m/src", "/m/dst");
        assertEquals("new", text(driver.getContent("/m/dst")));
        assertPathNotFound(() -> driver.getContent("/m/src"));
        assertEquals(List.of("/m/dst"), driver.list("/m"));
    }

    @Test
    void moveCreatesTheDestinationsParents() throws IOException {
        byte[] content = random(5000, 8);
        driver.putContent("/up/data", content);
        driver.move("/up/data", "/blobs/sha256/ab/abcdef/data");
        assertArrayEquals(content, driver.getContent("/blobs/sha256/ab/abcdef/data"));
        assertPathNotFound(() -> driver.stat("/up/data"));
    }

    @Test
    void moveOfACommittedWriter() throws IOException {
        try (StorageWriter writer = driver.writer("/u/1/data", true)) {
            writer.write(ByteBuffer.wrap(bytes("chunk one, ")));
        }
        try (StorageWriter writer = driver.writer("/u/1/data", true)) {
            writer.write(ByteBuffer.wrap(bytes("chunk two")));
            writer.commit();
        }
        driver.move("/u/1/data", "/b/data");
        assertEquals("chunk one, chunk two", text(driver.getContent("/b/data")));
    }

    // ------------------------------------------------------------------ delete

    @Test
    void deleteRemovesWholeTreesAndNothingElse() throws IOException {
        driver.putContent("/t/a/b/c", bytes("1"));
        driver.putContent("/t/a/d", bytes("2"));
        driver.putContent("/t/ab", bytes("prefix sibling"));
        driver.putContent("/t/a-b/e", bytes("prefix sibling directory"));
        driver.putContent("/t/x", bytes("3"));
        driver.putContent("/keep/y", bytes("4"));
        driver.delete("/t/a");
        assertPathNotFound(() -> driver.stat("/t/a"));
        assertPathNotFound(() -> driver.getContent("/t/a/b/c"));
        assertEquals(Set.of("/t/ab", "/t/a-b", "/t/x"), set(driver.list("/t")));
        assertEquals("prefix sibling", text(driver.getContent("/t/ab")));
        driver.delete("/t");
        assertPathNotFound(() -> driver.stat("/t"));
        assertPathNotFound(() -> driver.getContent("/t/a-b/e"));
        assertArrayEquals(bytes("4"), driver.getContent("/keep/y"));
        assertEquals(List.of("/keep"), driver.list("/"));
    }

    @Test
    void deleteOfOneObject() throws IOException {
        driver.putContent("/f/one", bytes("1"));
        driver.putContent("/f/two", bytes("2"));
        driver.delete("/f/one");
        assertEquals(List.of("/f/two"), driver.list("/f"));
        assertPathNotFound(() -> driver.getContent("/f/one"));
    }

    // ------------------------------------------------------------------ missing paths

    @Test
    void missingPathsRaisePathNotFoundAndCreateNothing() throws IOException {
        driver.putContent("/exists/file", bytes("x"));
        assertPathNotFound(() -> driver.getContent("/missing"));
        assertPathNotFound(() -> driver.getContent("/exists/missing"));
        assertPathNotFound(() -> driver.getContent("/exists"));
        assertPathNotFound(() -> readAll(driver.reader("/missing", 0)));
        assertPathNotFound(() -> readAll(driver.reader("/missing", 10)));
        assertPathNotFound(() -> driver.stat("/missing"));
        assertPathNotFound(() -> driver.stat("/exists/missing/deeper"));
        assertPathNotFound(() -> driver.list("/missing"));
        assertPathNotFound(() -> driver.move("/missing", "/exists/other"));
        assertPathNotFound(() -> driver.delete("/missing"));
        assertPathNotFound(() -> driver.delete("/exists/missing"));
        assertEquals(List.of("/exists"), driver.list("/"));
        assertEquals(List.of("/exists/file"), driver.list("/exists"));
    }

    // ------------------------------------------------------------------ paths that leave the root

    @ParameterizedTest
    @ValueSource(strings = {
            "", "relative", "outside/secret", "../outside",
            "/..", "/../outside", "/a/../../outside", "/a/../b", "/a/..",
            "/.", "/./a", "/a/./b",
            "//a", "/a//b", "/a/", "//",
            "/a\\..\\..\\outside", "/a\\b", "/a\u0000b",
    })
    void invalidPathsAreRefusedEverywhere(String bad) throws IOException {
        driver.putContent("/good", bytes("good"));
        assertIllegal(() -> driver.getContent(bad));
        assertIllegal(() -> driver.putContent(bad, bytes("overwritten")));
        assertIllegal(() -> driver.putVolatileContent(bad, bytes("overwritten")));
        assertIllegal(() -> driver.reader(bad, 0));
        assertIllegal(() -> driver.writer(bad, true));
        assertIllegal(() -> driver.writer(bad, false));
        assertIllegal(() -> driver.atomicWriter(bad));
        assertIllegal(() -> driver.stat(bad));
        assertIllegal(() -> driver.list(bad));
        assertIllegal(() -> driver.move(bad, "/moved"));
        assertIllegal(() -> driver.move("/good", bad));
        assertIllegal(() -> driver.delete(bad));
        assertIllegal(() -> driver.redirectUrl(bad, "GET", Duration.ofMinutes(1)));
        assertEquals(List.of("/good"), driver.list("/"));
        assertArrayEquals(bytes("good"), driver.getContent("/good"));
    }

    @Test
    void nullPathIsRefused() {
        assertIllegal(() -> driver.getContent(null));
        assertIllegal(() -> driver.stat(null));
        assertIllegal(() -> driver.list(null));
        assertIllegal(() -> driver.delete(null));
    }

    @Test
    void namesThatOnlyContainDotsAreFine() throws IOException {
        driver.putContent("/a/..b/c..", bytes("1"));
        driver.putContent("/a/.../x", bytes("2"));
        assertEquals("1", text(driver.getContent("/a/..b/c..")));
        assertEquals(Set.of("/a/..b", "/a/..."), set(driver.list("/a")));
    }

    private static void assertIllegal(Executable call) {
        assertThrows(IllegalArgumentException.class, call);
    }

    // ------------------------------------------------------------------ redirects

    /** A driver that offers redirect URLs must offer ones that serve the object's bytes. */
    @Test
    void redirectUrlsWhenOfferedServeTheObject() throws Exception {
        byte[] content = random(200_000, 10);
        driver.putContent("/r/blob", content);
        Optional<URI> url = driver.redirectUrl("/r/blob", "GET", Duration.ofMinutes(5));
        if (url.isEmpty()) {
            return; // the SPI allows drivers without redirects; the registry then serves the bytes
        }
        assertTrue(url.get().isAbsolute() && url.get().getScheme().startsWith("http"), url.get().toString());
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(url.get()).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode(), () -> text(response.body()));
            assertArrayEquals(content, response.body());
        }
    }

    /** Guards against a suite that silently tests nothing: the store starts empty. */
    @Test
    void storeStartsEmpty() throws IOException {
        List<String> top;
        try {
            top = driver.list("/");
        } catch (PathNotFoundException empty) {
            top = new ArrayList<>();
        }
        assertEquals(List.of(), top);
    }
}

package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.channel;
import static dev.registry.storage.TestSupport.concat;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UploadServiceTest {
    private static final String REPO = "library/app";
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    @TempDir
    Path root;

    TestSupport.MutableClock clock;
    Registry registry;
    UploadService uploads;
    StorageDriver driver;

    @BeforeEach
    void setUp() throws IOException {
        clock = new TestSupport.MutableClock(T0);
        registry = TestSupport.registry(root, clock);
        uploads = registry.uploads();
        driver = registry.driver();
    }

    private Path uploadDir(String repo, String uuid) {
        return root.resolve(PathLayout.uploadDirectory(repo, uuid).substring(1));
    }

    private byte[] storedBlob(Digest digest) throws IOException {
        return readAll(registry.blobs().open(digest, 0));
    }

    /** Delivers {@code chunk}-sized reads of {@code content}, then fails instead of reaching the end. */
    private static ReadableByteChannel failingAfter(byte[] content, int chunk) {
        return new ReadableByteChannel() {
            int at;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (at >= content.length) {
                    throw new IOException("connection reset by peer");
                }
                int n = Math.min(Math.min(chunk, dst.remaining()), content.length - at);
                dst.put(content, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    /** Returns short, irregular reads (sometimes 0 bytes), as a socket would. */
    private static ReadableByteChannel trickle(byte[] content, long seed) {
        java.util.Random random = new java.util.Random(seed);
        return new ReadableByteChannel() {
            int at;

            @Override
            public int read(ByteBuffer dst) {
                if (at >= content.length) {
                    return -1;
                }
                int n = Math.min(Math.min(random.nextInt(70_000), dst.remaining()), content.length - at);
                dst.put(content, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    // ---------------------------------------------------------------- happy paths

    @Test
    void startCreatesSessionWithStartedAt() throws IOException {
        UploadSession session = uploads.start(REPO);
        assertEquals(REPO, session.repository());
        assertEquals(0, session.offset());
        assertEquals(T0, session.startedAt());
        assertEquals(session.uuid(), UUID.fromString(session.uuid()).toString());
        assertEquals(T0.toString(), TestSupport.str(driver.getContent(PathLayout.uploadStartedAt(REPO, session.uuid()))));

        UploadSession status = uploads.status(REPO, session.uuid());
        assertEquals(new UploadSession(REPO, session.uuid(), 0, T0), status);
        assertNotEquals(session.uuid(), uploads.start(REPO).uuid());
    }

    @Test
    void chunkedUploadCompletes() throws IOException {
        byte[] a = random(1000, 1);
        byte[] b = random(70_000, 2);
        byte[] c = random(5, 3);
        byte[] all = concat(a, b, c);
        Digest digest = Digest.sha256(all);

        UploadSession s = uploads.start(REPO);
        UploadSession afterA = uploads.append(REPO, s.uuid(), channel(a), new ChunkRange(0, a.length));
        assertEquals(1000, afterA.offset());
        assertEquals(T0, afterA.startedAt());
        UploadSession afterB = uploads.append(REPO, s.uuid(), channel(b), new ChunkRange(1000, b.length));
        assertEquals(71_000, afterB.offset());
        assertEquals(71_000, uploads.status(REPO, s.uuid()).offset());

        BlobInfo blob = uploads.complete(REPO, s.uuid(), digest, channel(c), new ChunkRange(71_000, 5));
        assertEquals(new BlobInfo(digest, all.length), blob);
        assertArrayEquals(all, storedBlob(digest));
        assertArrayEquals(all, Files.readAllBytes(root.resolve(PathLayout.blobData(digest).substring(1))));
        assertEquals(digest.toString(), TestSupport.str(driver.getContent(PathLayout.layerLink(REPO, digest))));
        assertEquals(new BlobInfo(digest, all.length), registry.blobs().stat(REPO, digest).orElseThrow());
        assertTrue(registry.blobs().stat("other/repo", digest).isEmpty());
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, s.uuid()));
    }

    @Test
    void undeclaredRangesAndIrregularReadsOfALargeBlob() throws IOException {
        byte[] part1 = random(1_300_000, 11);
        byte[] part2 = random(700_001, 12);
        byte[] all = concat(part1, part2);
        UploadSession s = uploads.start(REPO);
        assertEquals(part1.length, uploads.append(REPO, s.uuid(), trickle(part1, 1), ChunkRange.UNDECLARED).offset());
        uploads.append(REPO, s.uuid(), trickle(part2, 2), ChunkRange.ofLength(part2.length));
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(all), null, ChunkRange.UNDECLARED);
        assertEquals(all.length, blob.size());
        assertArrayEquals(all, storedBlob(Digest.sha256(all)));
    }

    @Test
    void monolithicCompleteWithoutAppends() throws IOException {
        byte[] content = utf8("monolithic");
        UploadSession s = uploads.start(REPO);
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(content), channel(content), ChunkRange.ofLength(content.length));
        assertEquals(content.length, blob.size());
        assertArrayEquals(content, storedBlob(blob.digest()));
    }

    @Test
    void emptyBlob() throws IOException {
        UploadSession s = uploads.start(REPO);
        Digest empty = Digest.sha256(new byte[0]);
        BlobInfo blob = uploads.complete(REPO, s.uuid(), empty, null, ChunkRange.UNDECLARED);
        assertEquals(new BlobInfo(empty, 0), blob);
        assertEquals(0, registry.blobs().statGlobal(empty).orElseThrow().size());
        assertArrayEquals(new byte[0], storedBlob(empty));
    }

    @Test
    void sha512Completes() throws IOException {
        byte[] a = random(300_000, 5);
        byte[] b = random(1234, 6);
        Digest digest = Digest.of("sha512", concat(a, b));
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        BlobInfo blob = uploads.complete(REPO, s.uuid(), digest, channel(b), ChunkRange.UNDECLARED);
        assertEquals(new BlobInfo(digest, a.length + b.length), blob);
        assertTrue(PathLayout.blobData(digest).startsWith("/docker/registry/v2/blobs/sha512/"));
        assertArrayEquals(concat(a, b), storedBlob(digest));
        assertTrue(registry.blobs().stat(REPO, digest).isPresent());
    }

    @Test
    void sha512MismatchIsDigestInvalid() throws IOException {
        byte[] content = random(100, 5);
        Digest wrong = Digest.of("sha512", random(100, 6));
        UploadSession s = uploads.start(REPO);
        assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> uploads.complete(REPO, s.uuid(), wrong, channel(content), ChunkRange.UNDECLARED));
        assertTrue(registry.blobs().statGlobal(wrong).isEmpty());
        assertTrue(registry.blobs().statGlobal(Digest.of("sha512", content)).isEmpty());
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
    }

    @Test
    void sameContentTwiceIsStoredOnceAndLinkedInBothRepos() throws IOException {
        byte[] content = random(5000, 8);
        BlobInfo first = TestSupport.pushBlob(registry, "one", content);
        BlobInfo second = TestSupport.pushBlob(registry, "two", content);
        assertEquals(first, second);
        assertTrue(registry.blobs().stat("one", first.digest()).isPresent());
        assertTrue(registry.blobs().stat("two", first.digest()).isPresent());
        assertArrayEquals(content, storedBlob(first.digest()));
        assertEquals(List.of(), driver.list(PathLayout.uploads("two")));
    }

    // ---------------------------------------------------------------- failures

    @Test
    void wrongRangeStartCarriesCurrentOffset() throws IOException {
        byte[] a = random(100, 1);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);

        for (long start : new long[] {0, 99, 101, 5000}) {
            UploadRangeException e = assertThrows(UploadRangeException.class,
                    () -> uploads.append(REPO, s.uuid(), channel(random(10, 2)), new ChunkRange(start, 10)));
            assertEquals(100, e.offset());
            assertEquals(ErrorCode.BLOB_UPLOAD_INVALID, e.code());
            assertEquals(416, e.status());
            assertEquals(Map.of("offset", 100L), e.detail());
        }
        UploadRangeException onComplete = assertThrows(UploadRangeException.class, () -> uploads.complete(REPO, s.uuid(),
                Digest.sha256(a), channel(random(10, 2)), new ChunkRange(0, 10)));
        assertEquals(100, onComplete.offset());
        // the refused chunks changed nothing
        assertEquals(100, uploads.status(REPO, s.uuid()).offset());
        assertEquals(100, driver.stat(PathLayout.uploadData(REPO, s.uuid())).size());
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(a), null, ChunkRange.UNDECLARED);
        assertArrayEquals(a, storedBlob(blob.digest()));
    }

    /** A body that lends out direct buffers of irregular sizes, as the HTTP layer does. */
    private static ChunkSource lending(byte[] content, int... sizes) {
        return new ChunkSource() {
            int at;
            int next;
            final List<ByteBuffer> lent = new ArrayList<>();

            @Override
            public ByteBuffer[] nextChunks(int maxBytes) {
                lent.forEach(b -> {
                    b.clear();
                    while (b.hasRemaining()) {
                        b.put((byte) 0x5a); // a recycled buffer: whoever kept it sees garbage
                    }
                });
                lent.clear();
                List<ByteBuffer> batch = new ArrayList<>();
                int taken = 0;
                while (at < content.length && taken < maxBytes) {
                    int n = Math.min(sizes[next++ % sizes.length], content.length - at);
                    ByteBuffer b = ByteBuffer.allocateDirect(n).put(content, at, n).flip();
                    batch.add(b);
                    lent.add(b);
                    at += n;
                    taken += n;
                }
                return batch.isEmpty() ? null : batch.toArray(ByteBuffer[]::new);
            }

            @Override
            public int read(ByteBuffer dst) {
                throw new AssertionError("the lending path must be used");
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void lentBuffersAreHashedAndWrittenBeforeTheyAreGivenBack() throws IOException {
        byte[] first = random(3_000_000, 21);
        byte[] last = random(70_001, 22);
        byte[] all = concat(first, last);
        Digest digest = Digest.sha256(all);
        UploadSession s = uploads.start(REPO);

        assertEquals(first.length, uploads.append(REPO, s.uuid(), lending(first, 65_536, 1, 300_000, 8_191),
                new ChunkRange(0, first.length)).offset());
        BlobInfo blob = uploads.complete(REPO, s.uuid(), digest, lending(last, 4_096, 65_535),
                new ChunkRange(first.length, last.length));

        assertEquals(new BlobInfo(digest, all.length), blob);
        assertArrayEquals(all, storedBlob(digest));
    }

    @Test
    void aLentBatchBeyondTheDeclaredLengthIsNotWritten() throws IOException {
        byte[] good = random(50, 3);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(good), ChunkRange.UNDECLARED);
        assertRegistryError(ErrorCode.SIZE_INVALID,
                () -> uploads.append(REPO, s.uuid(), lending(random(1000, 4), 1000), new ChunkRange(50, 999)));
        assertEquals(50, uploads.status(REPO, s.uuid()).offset());
        assertArrayEquals(good, driver.getContent(PathLayout.uploadData(REPO, s.uuid())));
    }

    @Test
    void theStartTimeIsBookkeepingThatMayBeLost() throws IOException {
        UploadSession s = uploads.start(REPO);
        Path startedAt = root.resolve(PathLayout.uploadStartedAt(REPO, s.uuid()).substring(1));
        Files.write(startedAt, new byte[0]); // what a crash may leave of an unsynced write
        Instant modified = Files.getLastModifiedTime(startedAt).toInstant();
        assertEquals(modified, uploads.status(REPO, s.uuid()).startedAt());
        byte[] blob = random(10, 5);
        assertEquals(Digest.sha256(blob), uploads.complete(REPO, s.uuid(), Digest.sha256(blob), channel(blob),
                ChunkRange.UNDECLARED).digest());
    }

    @Test
    void rangeStartOnFreshUploadMustBeZero() throws IOException {
        UploadSession s = uploads.start(REPO);
        UploadRangeException e = assertThrows(UploadRangeException.class,
                () -> uploads.append(REPO, s.uuid(), channel(random(10, 2)), new ChunkRange(1, 10)));
        assertEquals(0, e.offset());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 99, 101, 1_000_000})
    void declaredLengthMismatchIsSizeInvalid(long declared) throws IOException {
        byte[] good = random(50, 3);
        byte[] chunk = random(100, 4);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(good), ChunkRange.UNDECLARED);
        RegistryException e = assertRegistryError(ErrorCode.SIZE_INVALID,
                () -> uploads.append(REPO, s.uuid(), channel(chunk), new ChunkRange(50, declared)));
        assertEquals(400, e.status());
        // the upload still exists and its reported offset is what storage holds, so a client can resume
        long offset = uploads.status(REPO, s.uuid()).offset();
        assertEquals(driver.stat(PathLayout.uploadData(REPO, s.uuid())).size(), offset);
        byte[] stored = driver.getContent(PathLayout.uploadData(REPO, s.uuid()));
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(stored), null, ChunkRange.UNDECLARED);
        assertEquals(offset, blob.size());
    }

    @Test
    void declaredLengthMismatchOnCompleteIsSizeInvalid() throws IOException {
        byte[] chunk = random(100, 4);
        UploadSession s = uploads.start(REPO);
        assertRegistryError(ErrorCode.SIZE_INVALID, () -> uploads.complete(REPO, s.uuid(), Digest.sha256(chunk),
                channel(chunk), ChunkRange.ofLength(101)));
        assertTrue(registry.blobs().statGlobal(Digest.sha256(chunk)).isEmpty());
    }

    @Test
    void digestMismatchStoresNothingAndRemovesTheUpload() throws IOException {
        byte[] content = random(4096, 1);
        Digest actual = Digest.sha256(content);
        Digest wrong = Digest.sha256(random(4096, 2));
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(content), ChunkRange.UNDECLARED);

        RegistryException e = assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> uploads.complete(REPO, s.uuid(), wrong, null, ChunkRange.UNDECLARED));
        assertEquals(400, e.status());
        assertEquals(Map.of("expected", wrong.toString(), "actual", actual.toString()), e.detail());
        assertTrue(registry.blobs().statGlobal(wrong).isEmpty());
        assertTrue(registry.blobs().statGlobal(actual).isEmpty());
        assertFalse(registry.blobs().isLinked(REPO, wrong));
        assertFalse(Files.exists(root.resolve("docker/registry/v2/blobs")));
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, s.uuid()));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.complete(REPO, s.uuid(), actual, null, ChunkRange.UNDECLARED));
    }

    @Test
    void failedChunkLeavesUploadResumable() throws IOException {
        byte[] first = random(10_000, 1);
        byte[] second = random(9_000, 2);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(first), ChunkRange.UNDECLARED);

        // 3 reads of 1000 bytes arrive, then the connection breaks
        IOException e = assertThrows(IOException.class,
                () -> uploads.append(REPO, s.uuid(), failingAfter(second, 1000), new ChunkRange(10_000, -1)));
        assertEquals("connection reset by peer", e.getMessage());

        long offset = uploads.status(REPO, s.uuid()).offset();
        assertEquals(19_000, offset);
        byte[] stored = driver.getContent(PathLayout.uploadData(REPO, s.uuid()));
        assertArrayEquals(concat(first, second), stored);

        // a chunk declared to start at the old offset is refused with the real offset
        UploadRangeException range = assertThrows(UploadRangeException.class,
                () -> uploads.append(REPO, s.uuid(), channel(second), new ChunkRange(10_000, second.length)));
        assertEquals(19_000, range.offset());

        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(stored), null, ChunkRange.UNDECLARED);
        assertEquals(new BlobInfo(Digest.sha256(stored), 19_000), blob);
        assertArrayEquals(stored, storedBlob(blob.digest()));
    }

    @Test
    void failedChunkMidwayThenResumeWithTheRest() throws IOException {
        byte[] content = random(50_000, 9);
        byte[] firstPart = java.util.Arrays.copyOfRange(content, 0, 30_000);
        UploadSession s = uploads.start(REPO);
        // the client sends 30,000 bytes of its 50,000 before the connection drops
        assertThrows(IOException.class, () -> uploads.append(REPO, s.uuid(), failingAfter(firstPart, 7_000),
                ChunkRange.UNDECLARED));
        long offset = uploads.status(REPO, s.uuid()).offset();
        assertEquals(30_000, offset);
        byte[] rest = java.util.Arrays.copyOfRange(content, (int) offset, content.length);
        uploads.append(REPO, s.uuid(), channel(rest), new ChunkRange(offset, rest.length));
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(content), null, ChunkRange.UNDECLARED);
        assertArrayEquals(content, storedBlob(blob.digest()));
    }

    @Test
    void failedFirstChunkThenCompleteWithStoredBytes() throws IOException {
        byte[] content = random(2_500, 9);
        UploadSession s = uploads.start(REPO);
        assertThrows(IOException.class, () -> uploads.complete(REPO, s.uuid(), Digest.sha256(content),
                failingAfter(content, 1000), ChunkRange.UNDECLARED));
        // the upload survives a failed final chunk
        assertEquals(2_500, uploads.status(REPO, s.uuid()).offset());
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(content), null, ChunkRange.UNDECLARED);
        assertArrayEquals(content, storedBlob(blob.digest()));
    }

    // ---------------------------------------------------------------- restart

    @Test
    void restartResumesTheUpload() throws IOException {
        byte[] a = random(100_000, 1);
        byte[] b = random(333, 2);
        byte[] c = random(77, 3);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);

        Registry restarted = TestSupport.registry(root, clock);
        UploadSession status = restarted.uploads().status(REPO, s.uuid());
        assertEquals(100_000, status.offset());
        assertEquals(T0, status.startedAt());
        assertEquals(100_333, restarted.uploads().append(REPO, s.uuid(), channel(b), new ChunkRange(100_000, 333)).offset());
        Digest digest = Digest.sha256(concat(a, b, c));
        BlobInfo blob = restarted.uploads().complete(REPO, s.uuid(), digest, channel(c), new ChunkRange(100_333, 77));
        assertEquals(new BlobInfo(digest, 100_410), blob);
        assertArrayEquals(concat(a, b, c), readAll(restarted.blobs().open(digest, 0)));
    }

    @Test
    void restartThenCompleteWithoutFurtherChunks() throws IOException {
        byte[] a = random(12_345, 1);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        Registry restarted = TestSupport.registry(root, clock);
        BlobInfo blob = restarted.uploads().complete(REPO, s.uuid(), Digest.sha256(a), null, ChunkRange.UNDECLARED);
        assertEquals(a.length, blob.size());
        assertArrayEquals(a, readAll(restarted.blobs().open(blob.digest(), 0)));
    }

    @Test
    void restartWithWrongDigestIsDigestInvalid() throws IOException {
        byte[] a = random(12_345, 1);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        Registry restarted = TestSupport.registry(root, clock);
        assertRegistryError(ErrorCode.DIGEST_INVALID, () -> restarted.uploads().complete(REPO, s.uuid(),
                Digest.sha256(random(12_345, 2)), null, ChunkRange.UNDECLARED));
        assertTrue(restarted.blobs().statGlobal(Digest.sha256(a)).isEmpty());
    }

    /**
     * Two replicas on one storage: the upload's state cached by the first replica is stale once the
     * second has appended, so the first must look at storage before it judges a range.
     */
    @Test
    void appendOnAnotherInstanceIsSeenByRangeCheck() throws IOException {
        byte[] a = random(100, 1);
        byte[] b = random(100, 2);
        byte[] c = random(100, 3);
        Registry other = TestSupport.registry(root, clock);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), new ChunkRange(0, 100));
        other.uploads().append(REPO, s.uuid(), channel(b), new ChunkRange(100, 100));
        assertEquals(200, uploads.status(REPO, s.uuid()).offset());
        // storage holds 200 bytes, and the chunk continues exactly there
        UploadSession after = uploads.append(REPO, s.uuid(), channel(c), new ChunkRange(200, 100));
        assertEquals(300, after.offset());
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(concat(a, b, c)), null, ChunkRange.UNDECLARED);
        assertArrayEquals(concat(a, b, c), storedBlob(blob.digest()));
    }

    /**
     * Same two-replica situation, completed on the first: the digest must be checked against what
     * storage holds, never against the stale in-memory hash, or a blob is published whose bytes do
     * not match its digest.
     */
    @Test
    void completeAfterAppendOnAnotherInstanceVerifiesStoredBytes() throws IOException {
        byte[] a = random(100, 1);
        byte[] b = random(100, 2);
        Registry other = TestSupport.registry(root, clock);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        other.uploads().append(REPO, s.uuid(), channel(b), ChunkRange.UNDECLARED);

        // the client claims the digest of only the first chunk; storage holds a+b
        Digest prefixDigest = Digest.sha256(a);
        assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> uploads.complete(REPO, s.uuid(), prefixDigest, null, ChunkRange.UNDECLARED));
        assertTrue(registry.blobs().statGlobal(prefixDigest).isEmpty(),
                "blob " + prefixDigest + " was published holding " + registry.blobs().statGlobal(prefixDigest)
                        .map(BlobInfo::size).orElse(-1L) + " bytes that do not match its digest");
    }

    @Test
    void completeWithFullDigestAfterAppendOnAnotherInstance() throws IOException {
        byte[] a = random(100, 1);
        byte[] b = random(100, 2);
        Registry other = TestSupport.registry(root, clock);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        other.uploads().append(REPO, s.uuid(), channel(b), ChunkRange.UNDECLARED);
        Digest full = Digest.sha256(concat(a, b));
        BlobInfo blob = uploads.complete(REPO, s.uuid(), full, null, ChunkRange.UNDECLARED);
        assertEquals(new BlobInfo(full, 200), blob);
        assertArrayEquals(concat(a, b), storedBlob(full));
    }

    // ---------------------------------------------------------------- unknown uploads

    @ParameterizedTest
    @ValueSource(strings = {
            "", "x", "../../../../etc", "0b3e3b1c-4f6a-4c8e-9d2b-7a1f0e9c8d7", "0b3e3b1c-4f6a-4c8e-9d2b-7a1f0e9c8d7bb",
            "0B3E3B1C-4F6A-4C8E-9D2B-7A1F0E9C8D7B", "0b3e3b1c_4f6a-4c8e-9d2b-7a1f0e9c8d7b", "0b3e3b1c-4f6a-4c8e-9d2b-7a1f0e9c8d/b",
            "0b3e3b1c-4f6a-4c8e-9d2b-7a1f0e9c8d.b", "0b3e3b1c-4f6a-4c8e-9d2b-............"
    })
    void invalidUploadIdsAreUnknown(String uuid) throws IOException {
        Digest d = Digest.sha256(new byte[0]);
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, uuid));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append(REPO, uuid, channel(new byte[1]), ChunkRange.UNDECLARED));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.complete(REPO, uuid, d, channel(new byte[0]), ChunkRange.UNDECLARED));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.cancel(REPO, uuid));
        assertFalse(Files.exists(root.resolve("docker")), "a refused upload id created storage");
    }

    @Test
    void nullUploadIdIsUnknown() {
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, null));
    }

    @Test
    void unknownButWellFormedUploadIdIsUnknown() throws IOException {
        String uuid = UUID.randomUUID().toString();
        RegistryException e = assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, uuid));
        assertEquals(404, e.status());
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append(REPO, uuid, channel(new byte[10]), ChunkRange.UNDECLARED));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.complete(REPO, uuid,
                Digest.sha256(new byte[10]), channel(new byte[10]), ChunkRange.UNDECLARED));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.cancel(REPO, uuid));
        // nothing was written for the unknown upload
        assertThrows(PathNotFoundException.class, () -> driver.stat(PathLayout.uploadDirectory(REPO, uuid)));
        assertTrue(registry.blobs().statGlobal(Digest.sha256(new byte[10])).isEmpty());
    }

    @Test
    void uploadOfAnotherRepositoryIsUnknownHere() throws IOException {
        UploadSession s = uploads.start("one");
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status("two", s.uuid()));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append("two", s.uuid(), channel(new byte[3]), ChunkRange.UNDECLARED));
        assertEquals(0, uploads.status("one", s.uuid()).offset());
    }

    // ---------------------------------------------------------------- cancel / purge

    @Test
    void cancelRemovesTheUploadDirectory() throws IOException {
        UploadSession s = uploads.start(REPO);
        UploadSession keep = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(random(1000, 1)), ChunkRange.UNDECLARED);
        assertTrue(Files.exists(uploadDir(REPO, s.uuid()).resolve("data")));
        uploads.cancel(REPO, s.uuid());
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
        assertTrue(Files.exists(uploadDir(REPO, keep.uuid()).resolve("startedat")));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, s.uuid()));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.cancel(REPO, s.uuid()));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append(REPO, s.uuid(), channel(new byte[1]), ChunkRange.UNDECLARED));
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())), "append after cancel resurrected the upload");
    }

    /**
     * The replica that took the last chunk does not read the start time again for the next one;
     * an upload cancelled or finished through another replica meanwhile must still be unknown
     * there, and the chunk must not bring the upload back.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void chunkAfterTheUploadEndedOnAnotherReplicaIsUnknown(boolean cancelled) throws IOException {
        byte[] a = random(100, 1);
        Registry other = TestSupport.registry(root, clock);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), new ChunkRange(0, 100));
        if (cancelled) {
            other.uploads().cancel(REPO, s.uuid());
        } else {
            other.uploads().complete(REPO, s.uuid(), Digest.sha256(a), null, ChunkRange.UNDECLARED);
        }
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append(REPO, s.uuid(), channel(random(50, 2)), new ChunkRange(100, 50)));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                () -> uploads.append(REPO, s.uuid(), channel(random(50, 2)), ChunkRange.UNDECLARED));
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())), "a chunk brought the ended upload back");
    }

    /** Each chunk's hash state is saved at the offset it ends at, in registry:2's place. */
    @Test
    void everyChunkSavesItsHashStateAtItsEnd() throws IOException {
        byte[] a = random(100, 1);
        byte[] b = random(60, 2);
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), new ChunkRange(0, 100));
        uploads.append(REPO, s.uuid(), channel(b), new ChunkRange(100, 60));
        Path states = uploadDir(REPO, s.uuid()).resolve("hashstates/sha256");
        assertEquals(100, Sha256States.length(Files.readAllBytes(states.resolve("100"))));
        assertEquals(160, Sha256States.length(Files.readAllBytes(states.resolve("160"))));
        MessageDigest restored = Sha256States.restore(Files.readAllBytes(states.resolve("160")));
        assertEquals(Digest.sha256(concat(a, b)).hex(), HexFormat.of().formatHex(restored.digest()));
    }

    @Test
    void purgeRemovesOnlyOldUploads() throws IOException {
        UploadSession old1 = uploads.start(REPO);
        uploads.append(REPO, old1.uuid(), channel(random(100, 1)), ChunkRange.UNDECLARED);
        UploadSession old2 = uploads.start("other/nested/repo");
        clock.advance(Duration.ofDays(8));
        UploadSession fresh = uploads.start(REPO);
        clock.advance(Duration.ofHours(1));

        assertEquals(2, uploads.purge(Duration.ofDays(7), true));
        assertTrue(Files.exists(uploadDir(REPO, old1.uuid()).resolve("data")), "dry run removed an upload");
        assertTrue(Files.exists(uploadDir("other/nested/repo", old2.uuid())));
        assertEquals(100, uploads.status(REPO, old1.uuid()).offset());

        assertEquals(2, uploads.purge(Duration.ofDays(7), false));
        assertFalse(Files.exists(uploadDir(REPO, old1.uuid())));
        assertFalse(Files.exists(uploadDir("other/nested/repo", old2.uuid())));
        assertTrue(Files.exists(uploadDir(REPO, fresh.uuid()).resolve("startedat")));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, old1.uuid()));
        assertEquals(0, uploads.status(REPO, fresh.uuid()).offset());

        assertEquals(0, uploads.purge(Duration.ofDays(7), false));
        // an age shorter than the fresh upload's takes it too
        assertEquals(1, uploads.purge(Duration.ofMinutes(30), false));
        assertFalse(Files.exists(uploadDir(REPO, fresh.uuid())));
    }

    @Test
    void purgeUsesWrittenStartedAt() throws IOException {
        UploadSession s = uploads.start(REPO);
        // as if written long ago by distribution (RFC 3339 with an offset)
        driver.putContent(PathLayout.uploadStartedAt(REPO, s.uuid()), utf8("2024-04-01T10:00:00+02:00"));
        assertEquals(Instant.parse("2024-04-01T08:00:00Z"), uploads.status(REPO, s.uuid()).startedAt());
        assertEquals(0, uploads.purge(Duration.ofDays(31), false));
        assertEquals(1, uploads.purge(Duration.ofDays(29), true));
        assertTrue(Files.exists(uploadDir(REPO, s.uuid())));
        assertEquals(1, uploads.purge(Duration.ofDays(29), false));
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
    }

    @Test
    void purgeFallsBackToModificationTimeForUnreadableStartedAt() throws IOException {
        UploadSession s = uploads.start(REPO);
        driver.putContent(PathLayout.uploadStartedAt(REPO, s.uuid()), utf8("not a date"));
        Files.setLastModifiedTime(uploadDir(REPO, s.uuid()).resolve("startedat"),
                java.nio.file.attribute.FileTime.from(T0.minus(Duration.ofDays(10))));
        assertEquals(T0.minus(Duration.ofDays(10)), uploads.status(REPO, s.uuid()).startedAt());
        assertEquals(1, uploads.purge(Duration.ofDays(5), false));
        assertFalse(Files.exists(uploadDir(REPO, s.uuid())));
    }

    @Test
    void purgeWithNoRepositories() throws IOException {
        assertEquals(0, uploads.purge(Duration.ZERO, false));
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentCompletesOfTheSameContent() throws Exception {
        byte[] content = random(2 * 1024 * 1024 + 3, 77);
        Digest digest = Digest.sha256(content);
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Future<BlobInfo>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String repo = i % 2 == 0 ? REPO : "repo" + i;
                Callable<BlobInfo> task = () -> {
                    UploadSession s = uploads.start(repo);
                    uploads.append(repo, s.uuid(), channel(content), ChunkRange.UNDECLARED);
                    barrier.await(30, TimeUnit.SECONDS);
                    return uploads.complete(repo, s.uuid(), digest, null, ChunkRange.UNDECLARED);
                };
                results.add(pool.submit(task));
            }
            for (Future<BlobInfo> f : results) {
                assertEquals(new BlobInfo(digest, content.length), f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(content, storedBlob(digest));
        for (int i = 0; i < threads; i++) {
            String repo = i % 2 == 0 ? REPO : "repo" + i;
            assertTrue(registry.blobs().stat(repo, digest).isPresent());
            assertEquals(List.of(), driver.list(PathLayout.uploads(repo)));
        }
        String blobDir = PathLayout.blobDirectory(digest);
        assertEquals(List.of(blobDir + "/data"), driver.list(blobDir));
    }

    @Test
    void concurrentAppendsToOneUploadAreSerialised() throws Exception {
        int threads = 8;
        UploadSession s = uploads.start(REPO);
        byte[][] chunks = new byte[threads][];
        for (int i = 0; i < threads; i++) {
            chunks[i] = new byte[50_000];
            java.util.Arrays.fill(chunks[i], (byte) ('a' + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Future<UploadSession>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                byte[] chunk = chunks[i];
                results.add(pool.submit(() -> {
                    barrier.await(30, TimeUnit.SECONDS);
                    return uploads.append(REPO, s.uuid(), channel(chunk), ChunkRange.UNDECLARED);
                }));
            }
            for (Future<UploadSession> f : results) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] stored = driver.getContent(PathLayout.uploadData(REPO, s.uuid()));
        assertEquals(threads * 50_000, stored.length);
        // every chunk landed whole, none interleaved
        for (int i = 0; i < threads; i++) {
            byte first = stored[i * 50_000];
            for (int j = 1; j < 50_000; j++) {
                assertEquals(first, stored[i * 50_000 + j]);
            }
        }
        BlobInfo blob = uploads.complete(REPO, s.uuid(), Digest.sha256(stored), null, ChunkRange.UNDECLARED);
        assertEquals(stored.length, blob.size());
    }

    @Test
    void finishedAndUnknownUploadsLeaveNoLockBehind() throws Exception {
        for (int i = 0; i < 300; i++) {
            UploadSession s = uploads.start(REPO);
            byte[] content = utf8("blob " + i);
            uploads.append(REPO, s.uuid(), channel(content), ChunkRange.UNDECLARED);
            uploads.complete(REPO, s.uuid(), Digest.sha256(content), null, ChunkRange.UNDECLARED);
        }
        for (int i = 0; i < 300; i++) {
            String unknown = UUID.randomUUID().toString();
            assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN,
                    () -> uploads.append(REPO, unknown, channel(utf8("x")), ChunkRange.UNDECLARED));
        }
        // a lock that nobody holds is only weakly reachable: collected, its entry goes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (uploads.retainedLocks() > 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, uploads.retainedLocks(), "locks of finished or unknown uploads stay on the heap");

        // and a lock that is held is the one every request for that upload gets
        UploadSession s = uploads.start(REPO);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            ReadableByteChannel blocking = new ReadableByteChannel() {
                boolean done;

                @Override
                public int read(ByteBuffer dst) throws IOException {
                    if (done) {
                        return -1;
                    }
                    inside.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    dst.put((byte) 'a');
                    done = true;
                    return 1;
                }

                @Override
                public boolean isOpen() {
                    return true;
                }

                @Override
                public void close() {
                }
            };
            Future<UploadSession> first = other.submit(() -> uploads.append(REPO, s.uuid(), blocking, ChunkRange.UNDECLARED));
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 5; i++) {
                System.gc();
            }
            Future<UploadSession> second = Executors.newVirtualThreadPerTaskExecutor()
                    .submit(() -> uploads.append(REPO, s.uuid(), channel(utf8("b")), ChunkRange.UNDECLARED));
            Thread.sleep(200);
            assertFalse(second.isDone(), "a second chunk ran while the first held the upload's lock");
            release.countDown();
            assertEquals(1, first.get(10, TimeUnit.SECONDS).offset());
            assertEquals(2, second.get(10, TimeUnit.SECONDS).offset());
            assertArrayEquals(utf8("ab"), driver.getContent(PathLayout.uploadData(REPO, s.uuid())));
        } finally {
            other.shutdownNow();
        }
    }
}

package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.channel;
import static dev.registry.storage.TestSupport.concat;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blobs whose digest is known before their bytes (a monolithic push, a pull-through) are written
 * straight to their own path by a backend that publishes writes atomically, and only there when
 * verified: checked here over a driver that offers such writers and records what it is asked.
 */
class AtomicPublishTest {
    private static final String REPO = "library/app";

    /** In-memory storage whose atomic writers write to a hidden path and move at commit. */
    static final class AtomicDriver extends ForwardingDriver {
        final List<String> moves = new CopyOnWriteArrayList<>();
        final List<String> atomicCommits = new CopyOnWriteArrayList<>();

        AtomicDriver() {
            super(new InMemoryDriver());
        }

        @Override
        public void move(String source, String destination) throws IOException {
            moves.add(source + " -> " + destination);
            super.move(source, destination);
        }

        @Override
        public Optional<StorageWriter> atomicWriter(String path) throws IOException {
            String aside = "/aside/" + UUID.randomUUID();
            StorageWriter writer = delegate.writer(aside, false);
            return Optional.of(new StorageWriter() {
                boolean open = true;

                @Override
                public int write(ByteBuffer source) throws IOException {
                    return writer.write(source);
                }

                @Override
                public long size() {
                    return writer.size();
                }

                @Override
                public void commit() throws IOException {
                    writer.commit();
                    writer.close();
                    delegate.move(aside, path);
                    atomicCommits.add(path);
                    open = false;
                }

                @Override
                public void cancel() throws IOException {
                    if (open) {
                        open = false;
                        writer.cancel();
                    }
                }

                @Override
                public boolean isOpen() {
                    return open;
                }

                @Override
                public void close() throws IOException {
                    cancel();
                }
            });
        }
    }

    AtomicDriver driver;
    Registry registry;
    UploadService uploads;

    @BeforeEach
    void setUp() {
        driver = new AtomicDriver();
        registry = TestSupport.registry(driver);
        uploads = registry.uploads();
    }

    private List<String> uploadsOf(String repo) throws IOException {
        return listed(PathLayout.uploads(repo));
    }

    private List<String> listed(String directory) throws IOException {
        try {
            return driver.list(directory);
        } catch (PathNotFoundException none) {
            return List.of();
        }
    }

    @Test
    void aMonolithicPushIsWrittenStraightToTheBlobsPath() throws IOException {
        byte[] content = random(300_000, 1);
        Digest digest = Digest.sha256(content);
        UploadSession s = uploads.start(REPO);
        BlobInfo blob = uploads.complete(REPO, s.uuid(), digest, channel(content), ChunkRange.ofLength(content.length));
        assertEquals(new BlobInfo(digest, content.length), blob);
        assertEquals(List.of(PathLayout.blobData(digest)), driver.atomicCommits);
        assertEquals(List.of(), driver.moves, "nothing written aside by the registry, so nothing moved");
        assertArrayEquals(content, readAll(registry.blobs().open(digest, 0)));
        assertTrue(registry.blobs().isLinked(REPO, digest));
        assertEquals(List.of(), uploadsOf(REPO));
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> uploads.status(REPO, s.uuid()));
    }

    @Test
    void aWrongDigestPublishesNothingAndEndsTheUpload() throws IOException {
        byte[] content = random(70_000, 2);
        Digest wrong = Digest.sha256(random(70_000, 3));
        UploadSession s = uploads.start(REPO);
        assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> uploads.complete(REPO, s.uuid(), wrong, channel(content), ChunkRange.UNDECLARED));
        assertTrue(registry.blobs().statGlobal(wrong).isEmpty());
        assertTrue(registry.blobs().statGlobal(Digest.sha256(content)).isEmpty());
        assertFalse(registry.blobs().isLinked(REPO, wrong));
        assertEquals(List.of(), listed("/aside"), "the atomic write was abandoned");
        assertEquals(List.of(), uploadsOf(REPO));
    }

    @Test
    void aShortBodyPublishesNothingAndKeepsTheUploadEmpty() throws IOException {
        byte[] content = random(50_000, 4);
        Digest digest = Digest.sha256(content);
        UploadSession s = uploads.start(REPO);
        assertRegistryError(ErrorCode.SIZE_INVALID, () -> uploads.complete(REPO, s.uuid(), digest,
                channel(java.util.Arrays.copyOf(content, 40_000)), ChunkRange.ofLength(content.length)));
        assertTrue(registry.blobs().statGlobal(digest).isEmpty());
        assertEquals(0, uploads.status(REPO, s.uuid()).offset());

        ReadableByteChannel cut = new ReadableByteChannel() {
            boolean sent;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (sent) {
                    throw new IOException("connection reset by peer");
                }
                sent = true;
                dst.put(content, 0, 10_000);
                return 10_000;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        assertThrows(IOException.class, () -> uploads.complete(REPO, s.uuid(), digest, cut, ChunkRange.UNDECLARED));
        assertTrue(registry.blobs().statGlobal(digest).isEmpty());
        assertEquals(List.of(), listed("/aside"));
        assertEquals(0, uploads.status(REPO, s.uuid()).offset());

        // the client tries again, in full
        uploads.complete(REPO, s.uuid(), digest, channel(content), ChunkRange.UNDECLARED);
        assertArrayEquals(content, readAll(registry.blobs().open(digest, 0)));
    }

    @Test
    void aLastChunkAfterEarlierOnesGoesThroughTheUpload() throws IOException {
        byte[] a = random(20_000, 5);
        byte[] b = random(30_000, 6);
        Digest digest = Digest.sha256(concat(a, b));
        UploadSession s = uploads.start(REPO);
        uploads.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        uploads.complete(REPO, s.uuid(), digest, channel(b), ChunkRange.UNDECLARED);
        assertEquals(List.of(), driver.atomicCommits);
        assertEquals(1, driver.moves.size());
        assertArrayEquals(concat(a, b), readAll(registry.blobs().open(digest, 0)));
    }

    /** The earlier chunk went to another replica: this one's memory says the upload is empty. */
    @Test
    void aChunkTakenByAnotherReplicaIsNotOverlooked() throws IOException {
        byte[] a = random(20_000, 7);
        byte[] b = random(30_000, 8);
        Digest digest = Digest.sha256(concat(a, b));
        UploadSession s = uploads.start(REPO);
        UploadService otherReplica = new Registry(driver, true, java.time.Clock.systemUTC()).uploads();
        otherReplica.append(REPO, s.uuid(), channel(a), ChunkRange.UNDECLARED);
        uploads.complete(REPO, s.uuid(), digest, channel(b), ChunkRange.UNDECLARED);
        assertEquals(List.of(), driver.atomicCommits);
        assertArrayEquals(concat(a, b), readAll(registry.blobs().open(digest, 0)));
    }

    @Test
    void anIngestedBlobIsWrittenStraightToItsPathAndAnAbortedOneLeavesNothing() throws IOException {
        byte[] content = random(90_000, 9);
        Digest digest = Digest.sha256(content);
        try (BlobIngest ingest = BlobIngest.start(driver, registry.blobs(), REPO, digest, content.length, Instant.now())) {
            ingest.write(ByteBuffer.wrap(content, 0, 50_000));
            assertTrue(registry.blobs().statGlobal(digest).isEmpty(), "nothing shows before the whole blob is verified");
            ingest.write(ByteBuffer.wrap(content, 50_000, 40_000));
            ingest.complete();
        }
        assertEquals(List.of(), driver.moves);
        assertArrayEquals(content, readAll(registry.blobs().open(digest, 0)));
        assertTrue(registry.blobs().isLinked(REPO, digest));
        assertEquals(List.of(), uploadsOf(REPO));

        byte[] other = random(90_000, 10);
        Digest otherDigest = Digest.sha256(other);
        try (BlobIngest ingest = BlobIngest.start(driver, registry.blobs(), "other", otherDigest, other.length, Instant.now())) {
            ingest.write(ByteBuffer.wrap(other, 0, 60_000));
        } // closed before the end: aborted
        assertTrue(registry.blobs().statGlobal(otherDigest).isEmpty());
        assertFalse(registry.blobs().isLinked("other", otherDigest));
        assertEquals(List.of(), listed("/aside"));
        assertEquals(List.of(), uploadsOf("other"));
    }
}

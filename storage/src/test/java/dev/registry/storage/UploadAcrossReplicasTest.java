package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.channel;
import static dev.registry.storage.TestSupport.concat;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Uploads whose chunks arrive at different replicas: separate {@link Registry} instances (no
 * shared memory) over one store, as behind a round-robin load balancer.
 */
class UploadAcrossReplicasTest {
    private static final String REPO = "library/app";

    @TempDir
    Path root;

    /** Chunks of all sizes, each on the next replica; none reads back what earlier ones stored. */
    @Test
    void everyChunkOnAnotherReplicaWithoutReadingBackTheUpload() throws IOException {
        for (StorageDriver store : List.of(new InMemoryDriver(), new FilesystemDriver(root))) {
            UploadReadsForbidden driver = new UploadReadsForbidden(store);
            List<Registry> replicas = List.of(replica(driver), replica(driver), replica(driver));
            int[] sizes = {1, 63, 64, 65, 1_000_000, 3, 2_500_000, 127};
            List<byte[]> chunks = new ArrayList<>();
            UploadSession session = replicas.get(0).uploads().start(REPO);
            long offset = 0;
            for (int i = 0; i < sizes.length; i++) {
                byte[] chunk = random(sizes[i], 40 + i);
                chunks.add(chunk);
                UploadSession after = replicas.get((i + 1) % 3).uploads()
                        .append(REPO, session.uuid(), channel(chunk), new ChunkRange(offset, chunk.length));
                offset += chunk.length;
                assertEquals(offset, after.offset());
                assertEquals(offset, replicas.get((i + 2) % 3).uploads().status(REPO, session.uuid()).offset());
                // registry:2's place and Go's MarshalBinary size
                byte[] saved = driver.getContent(PathLayout.uploadHashState(REPO, session.uuid(), "sha256", offset));
                assertEquals(108, saved.length);
                assertEquals(offset, Sha256States.length(saved));
            }
            byte[] all = concat(chunks.toArray(byte[][]::new));
            Digest digest = Digest.sha256(all);
            BlobInfo blob = replicas.get(2).uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED);
            assertEquals(new BlobInfo(digest, all.length), blob);
            assertArrayEquals(all, readAll(replicas.get(0).blobs().open(digest, 0)));
            assertEquals(0, driver.uploadReads.get(), store.name());
        }
    }

    /** A saved state from another implementation of the same format continues the same way. */
    @Test
    void completesFromAStateSavedByAnotherServer() throws IOException {
        StorageDriver driver = new InMemoryDriver();
        Registry replica = replica(driver);
        byte[] first = random(100_000, 1);
        byte[] second = random(50_000, 2);
        UploadSession session = replica.uploads().start(REPO);
        String data = PathLayout.uploadData(REPO, session.uuid());
        // as registry:2 leaves it: the bytes in an unfinished write, the state beside them
        try (StorageWriter writer = driver.writer(data, true)) {
            writer.write(java.nio.ByteBuffer.wrap(first));
        }
        java.security.MessageDigest go = new Sha256States.BcSha256(new org.bouncycastle.crypto.digests.SHA256Digest());
        go.update(first);
        driver.putContent(PathLayout.uploadHashState(REPO, session.uuid(), "sha256", first.length), Sha256States.save(go));

        Registry other = replica(driver);
        other.uploads().append(REPO, session.uuid(), channel(second), new ChunkRange(first.length, second.length));
        Digest digest = Digest.sha256(concat(first, second));
        assertEquals(new BlobInfo(digest, 150_000), other.uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));
    }

    /** On a filesystem the stored bytes can be hashed again when a state is missing (a crash between chunk and state). */
    @Test
    void missingStateOnAFilesystemIsRebuiltFromTheStoredBytes() throws IOException {
        StorageDriver driver = new FilesystemDriver(root);
        byte[] first = random(300_000, 3);
        byte[] second = random(1000, 4);
        UploadSession session = replica(driver).uploads().start(REPO);
        replica(driver).uploads().append(REPO, session.uuid(), channel(first), new ChunkRange(0, first.length));
        driver.delete(PathLayout.uploadDirectory(REPO, session.uuid()) + "/hashstates");
        Registry next = replica(driver);
        next.uploads().append(REPO, session.uuid(), channel(second), new ChunkRange(first.length, second.length));
        Digest digest = Digest.sha256(concat(first, second));
        assertEquals(new BlobInfo(digest, 301_000), replica(driver).uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));
    }

    /** An object store cannot read an unfinished upload back: without its state the upload fails cleanly. */
    @Test
    void missingStateOnAnObjectStoreFailsAsAnInvalidUpload() throws IOException {
        StorageDriver driver = new InMemoryDriver();
        byte[] first = random(300_000, 5);
        UploadSession session = replica(driver).uploads().start(REPO);
        replica(driver).uploads().append(REPO, session.uuid(), channel(first), new ChunkRange(0, first.length));
        driver.delete(PathLayout.uploadDirectory(REPO, session.uuid()) + "/hashstates");
        Registry next = replica(driver);
        assertRegistryError(ErrorCode.BLOB_UPLOAD_INVALID,
                () -> next.uploads().append(REPO, session.uuid(), channel(random(10, 6)), new ChunkRange(first.length, 10)));
        Digest digest = Digest.sha256(first);
        assertRegistryError(ErrorCode.BLOB_UPLOAD_INVALID,
                () -> replica(driver).uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));
        assertTrue(replica(driver).blobs().stat(REPO, digest).isEmpty());
    }

    /** A corrupt state file is not trusted: the stored bytes are hashed instead (filesystem). */
    @Test
    void aStateForAnotherLengthIsNotUsed() throws IOException {
        StorageDriver driver = new FilesystemDriver(root);
        byte[] first = random(1000, 7);
        UploadSession session = replica(driver).uploads().start(REPO);
        replica(driver).uploads().append(REPO, session.uuid(), channel(first), new ChunkRange(0, first.length));
        java.security.MessageDigest wrong = Sha256States.newDigest();
        wrong.update(new byte[999]);
        driver.putContent(PathLayout.uploadHashState(REPO, session.uuid(), "sha256", 1000), Sha256States.save(wrong));
        Digest digest = Digest.sha256(first);
        assertEquals(new BlobInfo(digest, 1000), replica(driver).uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));
    }

    private static Registry replica(StorageDriver driver) {
        return new Registry(driver, true, Clock.systemUTC());
    }

    /** Counts reads of upload data, which a replica taking the next chunk must not need. */
    private static final class UploadReadsForbidden extends ForwardingDriver {
        final AtomicInteger uploadReads = new AtomicInteger();

        UploadReadsForbidden(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public ReadableByteChannel reader(String path, long offset) throws IOException {
            if (path.contains("/_uploads/")) {
                uploadReads.incrementAndGet();
            }
            return delegate.reader(path, offset);
        }
    }
}

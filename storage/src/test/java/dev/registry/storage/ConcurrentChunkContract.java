package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.ForwardingWriter;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.channel;
import static dev.registry.storage.TestSupport.concat;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One chunk of an upload taken by two replicas at once, with different bytes: a client (or an
 * attacker with push rights) sending the same {@code PATCH} range twice, to two replicas behind a
 * load balancer. Whatever each replica answers, the registry must never publish a blob whose
 * bytes are not the ones its digest names. Blobs are shared by every repository, so a blob stored
 * under the digest of content not yet pushed (a public base layer, say) would break that layer
 * for everyone who pushes it later: clients skip uploading a blob the registry says it has.
 *
 * <p>The interleavings are forced, not hoped for: replica B opens the upload, then replica A writes
 * the chunk with its bytes, then B writes its bytes, and one of the two hash states is saved last.
 */
public abstract class ConcurrentChunkContract {
    private static final String REPO = "library/app";

    /** {@code count} drivers over one fresh store, as separate replicas would have. */
    protected abstract List<StorageDriver> replicasOfOneStore(int count) throws Exception;

    /** The first chunk's size: large enough to be a whole part on an object store. */
    protected int prefixSize() {
        return 64 * 1024;
    }

    /**
     * What a writer's content tag says after it closes is what the next writer, on another
     * replica, finds; and new bytes make a new tag. Chunks sent round the replicas then continue
     * from the state saved under that tag, and complete.
     */
    @Test
    void chunksRoundTheReplicasContinueFromTheStateTaggedForTheirBytes() throws Exception {
        List<StorageDriver> drivers = replicasOfOneStore(3);
        String probe = PathLayout.uploadData(REPO, "00000000-0000-0000-0000-000000000000");
        String left;
        try (StorageWriter writer = drivers.get(0).writer(probe, true)) {
            writer.write(ByteBuffer.wrap(random(prefixSize(), 9)));
            writer.close();
            left = writer.contentTag();
        }
        try (StorageWriter writer = drivers.get(1).writer(probe, true)) {
            assertEquals(left, writer.contentTag(), "the tag another replica finds");
            writer.write(ByteBuffer.wrap(random(1000, 10)));
            writer.close();
            if (left != null) {
                assertNotEquals(left, writer.contentTag(), "new bytes, same tag");
            }
            left = writer.contentTag();
        }
        try (StorageWriter writer = drivers.get(2).writer(probe, true)) {
            assertEquals(left, writer.contentTag(), "the tag a third replica finds");
            writer.cancel();
        }

        List<Registry> replicas = drivers.stream().map(d -> new Registry(d, true, Clock.systemUTC())).toList();
        UploadSession session = replicas.get(0).uploads().start(REPO);
        byte[][] chunks = {random(prefixSize(), 11), random(prefixSize(), 12), random(777, 13)};
        long offset = 0;
        for (int i = 0; i < chunks.length; i++) {
            replicas.get((i + 1) % 3).uploads().append(REPO, session.uuid(), channel(chunks[i]), new ChunkRange(offset, chunks[i].length));
            offset += chunks[i].length;
        }
        try (StorageWriter writer = drivers.get(0).writer(PathLayout.uploadData(REPO, session.uuid()), true)) {
            String tag = writer.contentTag();
            if (tag != null) {
                assertTrue(drivers.get(0).stat(PathLayout.uploadTaggedHashState(REPO, session.uuid(), "sha256", offset, tag)).size() > 0);
            }
        }
        byte[] all = concat(chunks);
        Digest digest = Digest.sha256(all);
        assertEquals(new BlobInfo(digest, all.length),
                replicas.get(0).uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));
        assertArrayEquals(all, readAll(replicas.get(2).blobs().open(digest, 0)));
    }

    /**
     * @param firstStateLast whether the hash state of the replica that wrote first lands last (on
     *                       S3 its part is then replaced by the other's); else the second's does
     *                       (on GCS its append is then refused, as the first changed the object)
     * @param prefixByB      whether replica B took the chunk before, so that it may continue from
     *                       its own record of the upload (see {@code StorageDriver.writerAt}); else
     *                       a third replica did
     */
    @ParameterizedTest(name = "first writer''s state saved last: {0}, chunk before taken by B: {1}")
    @CsvSource({"true, false", "false, false", "true, true", "false, true"})
    void aChunkTakenByTwoReplicasAtOnceNeverPublishesBytesUnderAnotherDigest(boolean firstStateLast, boolean prefixByB)
            throws Exception {
        List<StorageDriver> drivers = replicasOfOneStore(3);
        byte[] prefix = random(prefixSize(), 1);
        byte[] mine = random(64 * 1024, 2);
        byte[] theirs = random(64 * 1024, 3);
        long offset = prefix.length;
        long end = offset + mine.length;

        String heldState = PathLayout.uploadHashState(REPO, "%s", "sha256", end);
        HoldingDriver a = new HoldingDriver(drivers.get(0), firstStateLast ? heldState : null);
        HoldingDriver b = new HoldingDriver(drivers.get(1), firstStateLast ? null : heldState);
        Registry replicaA = new Registry(a, true, Clock.systemUTC());
        Registry replicaB = new Registry(b, true, Clock.systemUTC());
        Registry replicaC = new Registry(drivers.get(2), true, Clock.systemUTC());

        UploadSession session = replicaC.uploads().start(REPO);
        (prefixByB ? replicaB : replicaC).uploads().append(REPO, session.uuid(), channel(prefix), new ChunkRange(0, prefix.length));
        a.uuid = session.uuid();
        b.uuid = session.uuid();

        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            // B opens the upload and waits for its body
            GatedChannel bodyB = new GatedChannel(theirs);
            CompletableFuture<Object> chunkB = CompletableFuture.supplyAsync(() -> outcome(
                    () -> replicaB.uploads().append(REPO, session.uuid(), bodyB, new ChunkRange(offset, theirs.length))), threads);
            assertTrue(bodyB.reading.await(30, TimeUnit.SECONDS), "replica B never read its chunk");

            // A writes the chunk at the same offset
            CompletableFuture<Object> chunkA = CompletableFuture.supplyAsync(() -> outcome(
                    () -> replicaA.uploads().append(REPO, session.uuid(), channel(mine), new ChunkRange(offset, mine.length))), threads);
            assertTrue(a.chunkWritten.await(30, TimeUnit.SECONDS), "replica A never wrote its chunk");
            Object outcomeA = firstStateLast ? null : chunkA.get(30, TimeUnit.SECONDS);

            // then B writes its bytes, and the held state lands last
            bodyB.open.countDown();
            Object outcomeB;
            if (firstStateLast) {
                outcomeB = chunkB.get(30, TimeUnit.SECONDS);
                a.stateHeld.countDown();
                outcomeA = chunkA.get(30, TimeUnit.SECONDS);
            } else {
                assertTrue(b.chunkWritten.await(30, TimeUnit.SECONDS), "replica B never wrote its chunk");
                b.stateHeld.countDown();
                outcomeB = chunkB.get(30, TimeUnit.SECONDS);
            }

            // Either may be told it lost (416) or not; what the upload completes with must be true.
            // The digest claimed is that of the bytes whose state landed last.
            byte[] content = concat(prefix, firstStateLast ? mine : theirs);
            Digest claimed = Digest.sha256(content);
            Object completed = outcome(() -> replicaC.uploads().complete(REPO, session.uuid(), claimed, null, ChunkRange.UNDECLARED));
            String outcomes = "A: " + outcomeA + "; B: " + outcomeB + "; complete: " + completed;
            if (completed instanceof BlobInfo published) {
                assertEquals(claimed, published.digest());
                assertArrayEquals(content, readAll(replicaC.blobs().open(claimed, 0)),
                        "published under " + claimed + " but holds other bytes (" + outcomes + ")");
            } else {
                assertTrue(completed instanceof RegistryException, outcomes);
                if (replicaC.blobs().stat(REPO, claimed).isPresent() || !isAbsent(replicaC, claimed)) {
                    fail("a failed upload left a blob " + claimed + " (" + outcomes + ")");
                }
            }
        } finally {
            a.stateHeld.countDown();
            b.stateHeld.countDown();
            threads.shutdown();
        }
    }

    /**
     * A chunk sent to the replica that took the chunk before, after another replica completed the
     * upload, is refused as an unknown upload (not as a wrong range), and leaves nothing behind:
     * the blob is intact and no trace of the upload is left in the store.
     */
    @Test
    void aChunkForAnUploadAnotherReplicaCompletedIsRefusedAsUnknown() throws Exception {
        List<StorageDriver> drivers = replicasOfOneStore(2);
        Registry replicaA = new Registry(drivers.get(0), true, Clock.systemUTC());
        Registry replicaC = new Registry(drivers.get(1), true, Clock.systemUTC());
        byte[] prefix = random(prefixSize(), 31);
        Digest digest = Digest.sha256(prefix);
        UploadSession session = replicaA.uploads().start(REPO);
        replicaA.uploads().append(REPO, session.uuid(), channel(prefix), new ChunkRange(0, prefix.length));
        assertEquals(new BlobInfo(digest, prefix.length),
                replicaC.uploads().complete(REPO, session.uuid(), digest, null, ChunkRange.UNDECLARED));

        byte[] late = random(1000, 32);
        assertRegistryError(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> replicaA.uploads().append(REPO, session.uuid(),
                channel(late), new ChunkRange(prefix.length, late.length)));
        assertArrayEquals(prefix, readAll(replicaC.blobs().open(digest, 0)));
        assertFalse(hasUpload(drivers.get(1), session.uuid()), "the late chunk left something of the upload behind");
    }

    private static boolean hasUpload(StorageDriver driver, String uuid) throws IOException {
        try {
            return driver.list(PathLayout.uploads(REPO)).stream().anyMatch(p -> p.endsWith("/" + uuid));
        } catch (PathNotFoundException none) {
            return false;
        }
    }

    /**
     * A chunk appended (and that upload completed) on replica A while replica C completes the same
     * upload: C verified the bytes it committed, but on an object store its move copies whatever
     * the key holds when it runs. Every blob left in the store must hold the bytes its digest names.
     */
    @Test
    void aChunkAppendedWhileAnotherReplicaCompletesIsNeverPublishedUnderItsDigest() throws Exception {
        List<StorageDriver> drivers = replicasOfOneStore(2);
        HoldingDriver a = new HoldingDriver(drivers.get(0), null);
        HoldingDriver c = new HoldingDriver(drivers.get(1), null);
        Registry replicaA = new Registry(a, true, Clock.systemUTC());
        Registry replicaC = new Registry(c, true, Clock.systemUTC());
        byte[] prefix = random(prefixSize(), 21);
        byte[] extra = random(64 * 1024, 22);
        Digest shorter = Digest.sha256(prefix);
        Digest longer = Digest.sha256(concat(prefix, extra));

        UploadSession session = replicaC.uploads().start(REPO);
        replicaC.uploads().append(REPO, session.uuid(), channel(prefix), new ChunkRange(0, prefix.length));
        c.holdMoves = true;
        a.holdMoves = true;
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            CompletableFuture<Object> completeC = CompletableFuture.supplyAsync(() -> outcome(
                    () -> replicaC.uploads().complete(REPO, session.uuid(), shorter, null, ChunkRange.UNDECLARED)), threads);
            assertTrue(c.moveReached.await(30, TimeUnit.SECONDS) || completeC.isDone(), "replica C never got to its move");

            Object appended = outcome(() -> replicaA.uploads().append(REPO, session.uuid(), channel(extra),
                    new ChunkRange(prefix.length, extra.length)));
            CompletableFuture<Object> completeA = CompletableFuture.supplyAsync(() -> outcome(
                    () -> replicaA.uploads().complete(REPO, session.uuid(), longer, null, ChunkRange.UNDECLARED)), threads);
            for (int i = 0; i < 300 && a.moveReached.getCount() > 0 && !completeA.isDone(); i++) {
                Thread.sleep(100);
            }
            c.moves.countDown();
            Object outcomeC = completeC.get(30, TimeUnit.SECONDS);
            a.moves.countDown();
            Object outcomeA = completeA.get(30, TimeUnit.SECONDS);

            String outcomes = "C: " + outcomeC + "; A's chunk: " + appended + "; A: " + outcomeA;
            for (Digest digest : List.of(shorter, longer)) {
                if (!isAbsent(replicaC, digest)) {
                    byte[] stored = readAll(replicaC.blobs().open(digest, 0));
                    assertEquals(digest, Digest.sha256(stored), "blob " + digest + " holds other bytes (" + outcomes + ")");
                }
            }
            // and each side is told in the registry's terms (no 500 for a client racing itself)
            assertTrue(outcomeC instanceof BlobInfo || outcomeC instanceof RegistryException, outcomes);
            assertTrue(outcomeA instanceof BlobInfo || outcomeA instanceof RegistryException, outcomes);
            if (outcomeC instanceof BlobInfo) {
                assertArrayEquals(prefix, readAll(replicaC.blobs().open(shorter, 0)), outcomes);
            }
        } finally {
            c.moves.countDown();
            a.moves.countDown();
            threads.shutdown();
        }
    }

    private static boolean isAbsent(Registry registry, Digest digest) {
        try (ReadableByteChannel ignored = registry.blobs().open(digest, 0)) {
            return false;
        } catch (IOException | RegistryException absent) {
            return true;
        }
    }

    private interface Action {
        Object run() throws Exception;
    }

    /** What an action returned, or the exception it threw. */
    private static Object outcome(Action action) {
        try {
            return action.run();
        } catch (Exception e) {
            return e;
        }
    }

    /** A body whose first read signals, then waits until the test lets it go on. */
    private static final class GatedChannel implements ReadableByteChannel {
        final CountDownLatch reading = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        private final ByteBuffer content;

        GatedChannel(byte[] content) {
            this.content = ByteBuffer.wrap(content);
        }

        @Override
        public int read(ByteBuffer destination) throws IOException {
            reading.countDown();
            try {
                if (!open.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("the test never let the body through");
                }
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            if (!content.hasRemaining()) {
                return -1;
            }
            int n = Math.min(destination.remaining(), content.remaining());
            destination.put(content.slice(content.position(), n));
            content.position(content.position() + n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Replica A's driver: signals when a writer that wrote closes, and holds the first save of one hash state. */
    private static final class HoldingDriver extends ForwardingDriver {
        final CountDownLatch chunkWritten = new CountDownLatch(1);
        final CountDownLatch stateHeld = new CountDownLatch(1);
        private final String heldPathPattern;
        private final AtomicBoolean held = new AtomicBoolean();
        volatile String uuid;
        /** Whether a move out of an upload waits for {@link #moves}, after signalling {@link #moveReached}. */
        volatile boolean holdMoves;
        final CountDownLatch moveReached = new CountDownLatch(1);
        final CountDownLatch moves = new CountDownLatch(1);

        @Override
        public void move(String source, String destination) throws IOException {
            if (holdMoves && source.contains("/_uploads/")) {
                moveReached.countDown();
                try {
                    if (!moves.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never let the move through");
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
            }
            delegate.move(source, destination);
        }

        HoldingDriver(StorageDriver delegate, String heldPathPattern) {
            super(delegate);
            this.heldPathPattern = heldPathPattern;
        }

        @Override
        public void putVolatileContent(String path, byte[] content) throws IOException {
            if (uuid != null && heldPathPattern != null && path.equals(heldPathPattern.replace("%s", uuid)) && held.compareAndSet(false, true)) {
                try {
                    if (!stateHeld.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never let the state through");
                    }
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
            }
            delegate.putVolatileContent(path, content);
        }

        @Override
        public StorageWriter writer(String path, boolean append) throws IOException {
            return signalling(delegate.writer(path, append));
        }

        @Override
        public StorageWriter writerAt(String path, long size) throws IOException {
            return signalling(delegate.writerAt(path, size));
        }

        /** {@code writer}, counting down {@link #chunkWritten} when it closes after writing, once {@link #uuid} is set. */
        private StorageWriter signalling(StorageWriter writer) {
            return new ForwardingWriter(writer) {
                private boolean wrote;

                @Override
                public int write(ByteBuffer source) throws IOException {
                    wrote = true;
                    return super.write(source);
                }

                @Override
                public long writeAll(ByteBuffer[] sources) throws IOException {
                    wrote = true;
                    return super.writeAll(sources);
                }

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        if (wrote && uuid != null) {
                            chunkWritten.countDown();
                        }
                    }
                }
            };
        }
    }
}

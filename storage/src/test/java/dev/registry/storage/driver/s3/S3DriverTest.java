package dev.registry.storage.driver.s3;

import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.StorageWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the contract cannot see of the S3 driver, over the real protocol (s3proxy): the keys it
 * stores under (registry:2's), that uploads are multipart uploads of bounded parts that a second
 * driver instance (another replica) continues, that deletes abort unfinished uploads, recovery
 * from a continuation that died half way, pre-signed URLs with ranges, and the startup check.
 */
class S3DriverTest {
    private static final int MiB = 1024 * 1024;
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.onDisk();

    private String bucket;
    private S3Driver driver;

    @BeforeEach
    void openDriver() {
        bucket = S3.newBucket("s3driver");
        driver = new S3Driver(options());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private S3Options options() {
        return S3.options(bucket).withRootDirectory("/some/root/")
                .withChunkSizes(S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE, 6L * MiB);
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<String> keys() {
        return S3.client().listObjectsV2Paginator(r -> r.bucket(bucket)).contents().stream().map(S3Object::key).sorted().toList();
    }

    private List<MultipartUpload> uploads() {
        return S3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads();
    }

    @Test
    void keysAreRegistry2sUnderTheRootDirectory() throws IOException {
        driver.putContent("/docker/registry/v2/repositories/a/b/_layers/sha256/ab/link", "sha256:ab".getBytes());
        assertEquals(List.of("some/root/docker/registry/v2/repositories/a/b/_layers/sha256/ab/link"), keys());
        try (S3Driver noRoot = new S3Driver(S3.options(bucket).withRootDirectory("/"))) {
            noRoot.putContent("/docker/registry/v2/x", new byte[] {1});
        }
        assertEquals(List.of("docker/registry/v2/x", "some/root/docker/registry/v2/repositories/a/b/_layers/sha256/ab/link"), keys());
    }

    @Test
    void writesAreMultipartUploadsOfBoundedPartsThatAnotherInstanceContinues() throws IOException {
        String path = "/docker/registry/v2/repositories/r/_uploads/u1/data";
        String key = "some/root" + path;
        byte[] first = random(12 * MiB + 5, 1);
        try (StorageWriter writer = driver.writer(path, true)) {
            // in small writes, as request bodies arrive
            for (int at = 0; at < first.length; at += 64 * 1024) {
                writer.write(ByteBuffer.wrap(first, at, Math.min(64 * 1024, first.length - at)));
            }
        }
        MultipartUpload upload = uploads().get(0);
        assertEquals(key, upload.key());
        List<Long> partSizes = S3.client().listParts(r -> r.bucket(bucket).key(key).uploadId(upload.uploadId()))
                .parts().stream().map(Part::size).toList();
        assertEquals(List.of((long) 5 * MiB, (long) 5 * MiB, (long) 2 * MiB + 5), partSizes,
                "one part per chunksize, the rest at close");
        assertEquals(List.of(key + ".s3upload"), keys(), "nothing is an object before the commit but the upload's record");

        byte[] second = random(7 * MiB, 2);
        try (S3Driver otherReplica = new S3Driver(options());
             StorageWriter writer = otherReplica.writer(path, true)) {
            assertEquals(first.length, writer.size());
            writer.write(ByteBuffer.wrap(second));
            writer.commit();
        }
        byte[] expected = concat(first, second);
        assertArrayEquals(expected, driver.getContent(path));
        assertEquals(List.of(), uploads(), "the commit leaves no unfinished upload");
        assertEquals(List.of(key), keys(), "and no record of one");
    }

    @Test
    void partBuffersAreReusedAndNeverLeakTheirLastWritersBytes() throws IOException {
        byte[] large = random(S3Options.MIN_PART_SIZE - 1, 3);
        String first = "/docker/registry/v2/repositories/r/_uploads/b1/data";
        try (StorageWriter writer = driver.writer(first, true)) {
            writer.write(ByteBuffer.wrap(large));
        }
        assertEquals(1, driver.partBuffers().idleCount(), "a closed writer gives its part buffer back");

        // the next writers take that buffer, still holding the first upload's bytes
        byte[] small = random(1000, 4);
        String second = "/docker/registry/v2/repositories/r/_uploads/b2/data";
        try (StorageWriter writer = driver.writer(second, true)) {
            writer.write(ByteBuffer.wrap(small));
            assertEquals(0, driver.partBuffers().idleCount(), "the idle buffer was taken, not a new one");
            writer.commit();
        }
        assertArrayEquals(small, driver.getContent(second), "an object holds only what its writer wrote");
        byte[] more = random(3000, 5);
        String third = "/docker/registry/v2/repositories/r/_uploads/b3/data";
        try (StorageWriter writer = driver.writer(third, true)) {
            writer.write(ByteBuffer.wrap(more));
        }
        try (StorageWriter writer = driver.writer(third, true)) {
            writer.commit();
        }
        assertArrayEquals(more, driver.getContent(third), "a part holds only what its writer wrote");

        try (StorageWriter writer = driver.writer(first, true)) {
            writer.write(ByteBuffer.wrap(small));
            writer.commit();
        }
        byte[] expected = concat(large, small);
        assertArrayEquals(expected, driver.getContent(first));
        assertEquals(1, driver.partBuffers().idleCount(), "buffers come back after every use, and are kept once");
    }

    private List<Long> partSizes(String key) {
        MultipartUpload upload = uploads().get(0);
        return S3.client().listParts(r -> r.bucket(bucket).key(key).uploadId(upload.uploadId()))
                .parts().stream().map(Part::size).toList();
    }

    /** The outcome of each {@code UploadPart} a driver's client makes: "ok" or "failed", in order. */
    private static final class PartUploads implements ExecutionInterceptor {
        final List<String> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (isUploadPart(attributes)) {
                started.incrementAndGet();
            }
        }

        /** Waits up to 10 s for an {@code UploadPart} to start since the last {@link #drain()}. */
        void awaitStart(String what) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (started.get() == 0) {
                assertTrue(System.nanoTime() < deadline, what);
                Thread.sleep(5);
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if (isUploadPart(attributes)) {
                outcomes.add("ok");
            }
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            if (isUploadPart(attributes)) {
                outcomes.add("failed");
            }
        }

        private static boolean isUploadPart(ExecutionAttributes attributes) {
            return "UploadPart".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        }

        List<String> drain() {
            List<String> seen = List.copyOf(outcomes);
            outcomes.clear();
            started.set(0);
            return seen;
        }
    }

    /**
     * A chunk whose length is announced starts its part's upload before all of it has arrived
     * (the SDK reads it for its checksum as it comes), yet the store gets the part only once the
     * last byte is there and the writer knows that no more follow; and it gets it once.
     */
    @Test
    @Timeout(60)
    void anAnnouncedChunkStartsItsPartEarlyButSendsItOnlyWhole() throws Exception {
        String path = "/docker/registry/v2/repositories/r/_uploads/e1/data";
        String key = "some/root" + path;
        PartUploads uploads = new PartUploads();
        byte[] chunk = random(5 * MiB, 41); // a whole part, so the next chunk continues without a copy
        byte[] next = random(MiB + 3, 42);
        try (S3Driver replica = new S3Driver(options(), List.of(uploads))) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.expect(chunk.length);
                writer.write(ByteBuffer.wrap(chunk, 0, chunk.length - 1));
                uploads.awaitStart("the part's upload starts before its last byte");
                Thread.sleep(300); // time to send it, if it were sent too early
                assertEquals(List.of(), partSizes(key), "nothing reaches the store before the last byte");
                writer.write(ByteBuffer.wrap(chunk, chunk.length - 1, 1));
            }
            assertEquals(List.of((long) chunk.length), partSizes(key));
            assertEquals(List.of("ok"), uploads.drain(), "one upload of the part");

            try (StorageWriter writer = replica.writer(path, true)) {
                writer.expect(next.length);
                writer.write(ByteBuffer.wrap(next, 0, next.length - 1));
                uploads.awaitStart("the second part's upload starts early too");
                writer.write(ByteBuffer.wrap(next, next.length - 1, 1));
                Thread.sleep(300); // the last byte is there, but no more may follow until the commit says so
                assertEquals(List.of((long) chunk.length), partSizes(key), "not sent before the writer knows it is whole");
                writer.commit();
            }
            assertEquals(List.of("ok"), uploads.drain(), "the commit sends the arriving part, once");
            assertEquals(1, replica.partBuffers().idleCount(), "and the buffer comes back");
        }
        byte[] expected = concat(chunk, next);
        assertArrayEquals(expected, driver.getContent(path));
    }

    /**
     * Parts start early only where the SDK reads them whole before it connects: over plain http,
     * or with request checksums on. Over https with checksums off it would stream a part at once.
     */
    @Test
    void partsStartEarlyOnlyWhereTheSdkReadsThemBeforeItConnects() {
        assertTrue(driver.partsReadBeforeSending(), "plain http: the SDK signs each part's SHA-256");
        S3Options o = options();
        S3Options https = new S3Options(o.accessKey(), o.secretKey(), o.sessionToken(), o.region(),
                URI.create("https://127.0.0.1:9"), o.forcePathStyle(), o.bucket(), o.rootDirectory(), o.encrypt(), o.keyId(),
                true, o.skipVerify(), o.chunkSize(), o.multipartCopyChunkSize(), o.multipartCopyMaxConcurrency(),
                o.multipartCopyThresholdSize(), o.storageClass(), o.useDualStack(), o.logRequests());
        try (S3Driver checksums = new S3Driver(https)) {
            assertTrue(checksums.partsReadBeforeSending(), "https with the SDK's default request checksums");
        }
        String property = "aws.requestChecksumCalculation";
        String before = System.getProperty(property);
        System.setProperty(property, "when_required");
        try (S3Driver noChecksums = new S3Driver(https)) {
            assertEquals(false, noChecksums.partsReadBeforeSending(), "https without request checksums");
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    /** A part whose early upload fails is still in the buffer, and is sent again from there. */
    @Test
    @Timeout(60)
    void aFailedEarlyUploadIsSentAgainFromTheBuffer() throws Exception {
        String path = "/docker/registry/v2/repositories/r/_uploads/e6/data";
        String key = "some/root" + path;
        PartUploads uploads = new PartUploads();
        ExecutionInterceptor failEarlyParts = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                if (Thread.currentThread().getName().startsWith("s3-part-")) {
                    throw SdkClientException.create("the network failed this early upload");
                }
            }
        };
        byte[] chunk = random(5 * MiB, 46);
        try (S3Driver replica = new S3Driver(options(), List.of(uploads, failEarlyParts))) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.expect(chunk.length);
                writer.write(ByteBuffer.wrap(chunk));
            }
            assertEquals(List.of(5L * MiB), partSizes(key));
            assertEquals("failed", uploads.outcomes.get(0), "the early upload failed");
            assertEquals("ok", uploads.outcomes.get(uploads.outcomes.size() - 1), "the part was sent again");
        }
        try (StorageWriter writer = driver.writer(path, true)) {
            writer.commit();
        }
        assertArrayEquals(chunk, driver.getContent(path));
    }

    /** An announcement that turns out wrong changes nothing about what is stored. */
    @Test
    @Timeout(60)
    void anAnnouncedChunkOfAnotherLengthIsStoredAsItArrived() throws IOException {
        byte[] lead = random(5 * MiB, 43); // a whole first part: the chunks below start the next one
        PartUploads uploads = new PartUploads();
        try (S3Driver replica = new S3Driver(options(), List.of(uploads))) {
            byte[] shorter = random(MiB, 44);
            assertEquals(List.of(5L * MiB, (long) MiB), announcedThenWritten(replica, uploads, "e2", lead, 2L * MiB, shorter),
                    "a body cut short");
            byte[] longer = random(3 * MiB + 3, 45);
            assertEquals(List.of(5L * MiB, 3L * MiB + 3), announcedThenWritten(replica, uploads, "e3", lead, MiB, longer),
                    "a body longer than announced");
            byte[] acrossAPart = random(5 * MiB + 100, 46);
            assertEquals(List.of(5L * MiB, 100L), announcedThenWritten(replica, uploads, "e4", null, 5L * MiB, acrossAPart),
                    "a whole part announced: what follows it goes to the next one");
            assertEquals(1, replica.partBuffers().idleCount());

            String cancelled = "/docker/registry/v2/repositories/r/_uploads/e5/data";
            try (StorageWriter writer = replica.writer(cancelled, true)) {
                writer.write(ByteBuffer.wrap(lead));
            }
            uploads.drain();
            try (StorageWriter writer = replica.writer(cancelled, true)) {
                writer.expect(MiB);
                writer.write(ByteBuffer.wrap(shorter, 0, 1000));
                writer.cancel();
            }
            assertEquals(List.of("failed"), uploads.drain(), "the early upload was abandoned, nothing sent instead");
            assertEquals(List.of(), uploads(), "a cancelled writer leaves no upload");
            assertEquals(List.of(), keys().stream().filter(k -> k.contains("/e5/")).toList(), "nor any object");
        }
    }

    /**
     * Writes {@code lead} (if any) as a chunk of its own, then {@code bytes} after announcing
     * {@code announced}; checks that every part was stored by one successful upload and that the
     * committed object holds exactly what was written; returns the part sizes before the commit.
     */
    private List<Long> announcedThenWritten(S3Driver replica, PartUploads uploads, String upload, byte[] lead,
                                            long announced, byte[] bytes) throws IOException {
        String path = "/docker/registry/v2/repositories/r/_uploads/" + upload + "/data";
        byte[] expected = bytes;
        if (lead != null) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.write(ByteBuffer.wrap(lead));
            }
            expected = concat(lead, bytes);
        }
        uploads.drain();
        try (StorageWriter writer = replica.writer(path, true)) {
            writer.expect(announced);
            writer.write(ByteBuffer.wrap(bytes));
        }
        List<Long> sizes = partSizes("some/root" + path);
        long newParts = sizes.size() - (lead == null ? 0 : 1);
        assertEquals(newParts, uploads.drain().stream().filter("ok"::equals).count(), "one successful upload per part");
        try (StorageWriter writer = replica.writer(path, true)) {
            writer.commit();
        }
        assertArrayEquals(expected, driver.getContent(path));
        return sizes;
    }

    @Test
    void manySmallChunksThroughManyInstances() throws IOException {
        String path = "/u/data";
        byte[] all = random(4 * MiB + 100, 3);
        int at = 0;
        int[] sizes = {1, 999_999, 2 * MiB, 100_000, all.length - 1 - 999_999 - 2 * MiB - 100_000};
        for (int size : sizes) {
            try (S3Driver replica = new S3Driver(options()); StorageWriter writer = replica.writer(path, true)) {
                assertEquals(at, writer.size());
                writer.write(ByteBuffer.wrap(all, at, size));
            }
            at += size;
        }
        try (StorageWriter writer = driver.writer(path, true)) {
            assertEquals(all.length, writer.size());
            writer.commit();
        }
        assertArrayEquals(all, driver.getContent(path));
    }

    /**
     * Uploads in small chunks, as registry clients push layers, several at once, each chunk
     * through a writer of its own: every writer must count every byte the one before it wrote.
     * s3proxy's ListMultipartUploads now and then missed an upload in progress under this load,
     * and the writer then counted only the object of the chunks before the last one: the
     * registry answered the next chunk 416. The driver now also finds the upload by its record.
     */
    @Test
    void concurrentSmallChunkedUploadsKeepTheirSizes() throws Exception {
        int uploads = 8;
        int chunks = 12;
        List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(uploads)) {
            for (int u = 0; u < uploads; u++) {
                int id = u;
                runs.add(threads.submit(() -> {
                    String path = "/docker/registry/v2/repositories/r" + id + "/_uploads/u" + id + "/data";
                    Random random = new Random(id);
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    for (int c = 0; c < chunks; c++) {
                        byte[] chunk = random(16 * 1024 + random.nextInt(48 * 1024), id * 1000L + c);
                        try (StorageWriter writer = driver.writer(path, true)) {
                            assertEquals(all.size(), writer.size(), "upload " + id + " before chunk " + c);
                            writer.write(ByteBuffer.wrap(chunk));
                        }
                        all.write(chunk, 0, chunk.length);
                    }
                    try (StorageWriter writer = driver.writer(path, true)) {
                        assertEquals(all.size(), writer.size());
                        writer.commit();
                    }
                    assertArrayEquals(all.toByteArray(), driver.getContent(path));
                    return null;
                }));
            }
            for (var run : runs) {
                run.get();
            }
        }
        assertEquals(List.of(), uploads());
        assertEquals(uploads, keys().size(), "the data objects and no upload record: " + keys());
    }

    @Test
    void deleteOfATreeAbortsItsUnfinishedUploads() throws IOException {
        driver.putContent("/r/_uploads/u2/startedat", "now".getBytes());
        try (StorageWriter writer = driver.writer("/r/_uploads/u2/data", true)) {
            writer.write(ByteBuffer.wrap(random(1000, 4)));
        }
        try (StorageWriter writer = driver.writer("/r/_uploads/u3", true)) {
            writer.write(ByteBuffer.wrap(random(1000, 4)));
        }
        assertEquals(2, uploads().size());
        driver.delete("/r/_uploads/u2");
        assertEquals(List.of("some/root/r/_uploads/u3"), uploads().stream().map(MultipartUpload::key).toList());
        assertEquals(List.of("some/root/r/_uploads/u3.s3upload"), keys());
        driver.delete("/r/_uploads/u3");
        assertEquals(List.of(), uploads());
        assertEquals(List.of(), keys());
    }

    /**
     * A writer continuing past a short last part completes the upload and copies the object into
     * a new one; if it dies after starting the new upload, the object still holds everything and
     * the next writer must continue from it, not from the partial copy.
     */
    @Test
    void aContinuationThatDiedHalfWayIsRecoveredFromTheObject() throws IOException {
        String path = "/crash/data";
        String key = "some/root" + path;
        byte[] before = random(6 * MiB, 5);
        S3.client().putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(before));
        S3.client().createMultipartUpload(r -> r.bucket(bucket).key(key)); // the new upload, with no part copied yet
        byte[] after = random(1000, 6);
        try (StorageWriter writer = driver.writer(path, true)) {
            assertEquals(before.length, writer.size());
            writer.write(ByteBuffer.wrap(after));
            writer.commit();
        }
        byte[] expected = concat(before, after);
        assertArrayEquals(expected, driver.getContent(path));
        assertEquals(List.of(), uploads());
    }

    /** The S3 operations a driver's client makes, by name, in order. */
    private static final class Operations implements ExecutionInterceptor {
        final List<String> names = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            names.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        }

        List<String> drain() {
            List<String> seen = List.copyOf(names);
            names.clear();
            return seen;
        }
    }

    /**
     * The next chunk of an upload this replica took last is continued after one {@code ListParts}
     * that shows the upload as it was left; when another replica changed it meanwhile (added a
     * chunk, or cancelled the upload), the writer finds what is really stored.
     */
    @Test
    void aReplicaContinuesTheUploadItLeftWithOneListPartsAndSeesOthersChanges() throws IOException {
        String path = "/docker/registry/v2/repositories/r/_uploads/u9/data";
        Operations operations = new Operations();
        byte[] a = random(6 * MiB + 1, 31);
        byte[] b = random(5 * MiB + 2, 32);
        byte[] c = random(100, 33);
        try (S3Driver replica = new S3Driver(options(), List.of(operations));
             S3Driver other = new S3Driver(options())) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.write(ByteBuffer.wrap(a));
            }
            operations.drain();
            try (StorageWriter writer = replica.writer(path, true)) {
                assertEquals(List.of("ListParts"), operations.drain(), "the left upload is checked, nothing listed");
                assertEquals(a.length, writer.size());
                writer.write(ByteBuffer.wrap(b));
            }
            try (StorageWriter writer = other.writer(path, true)) { // the next chunk went to another replica
                assertEquals(a.length + b.length, writer.size());
                writer.write(ByteBuffer.wrap(c));
            }
            operations.drain();
            try (StorageWriter writer = replica.writer(path, true)) {
                assertEquals(a.length + b.length + c.length, writer.size(), "the other replica's chunk counts");
                assertTrue(operations.drain().contains("ListMultipartUploads"), "a changed upload is looked up in full");
                writer.commit();
            }
            byte[] expected = concat(a, b, c);
            assertArrayEquals(expected, replica.getContent(path));

            String cancelled = "/docker/registry/v2/repositories/r/_uploads/u10/data";
            try (StorageWriter writer = replica.writer(cancelled, true)) {
                writer.write(ByteBuffer.wrap(a));
            }
            other.delete("/docker/registry/v2/repositories/r/_uploads/u10");
            try (StorageWriter writer = replica.writer(cancelled, true)) {
                assertEquals(0, writer.size(), "an upload another replica cancelled is not continued");
            }
            assertEquals(List.of(), uploads());
        }
    }

    /** Holds each {@code ListParts}, once {@link #armed}, until {@link #release} is counted down. */
    private static final class HeldListParts implements ExecutionInterceptor {
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        volatile boolean armed;

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            if (armed && "ListParts".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
                try {
                    release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * A chunk that starts where this replica's last writer left the upload does not wait for the
     * {@code ListParts} that checks the upload: its part's upload starts while the check is under
     * way, and the part is completed only once the check has passed.
     */
    @Test
    @Timeout(60)
    void aChunkWhereThisReplicaLeftTheUploadStartsBeforeTheCheckReturns() throws Exception {
        String path = "/docker/registry/v2/repositories/r/_uploads/u12/data";
        String key = "some/root" + path;
        Operations operations = new Operations();
        HeldListParts held = new HeldListParts();
        PartUploads uploads = new PartUploads();
        byte[] a = random(5 * MiB, 51); // a whole part: the next chunk follows it without a copy
        byte[] b = random(MiB + 7, 52);
        try (S3Driver replica = new S3Driver(options(), List.of(operations, held, uploads))) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.write(ByteBuffer.wrap(a));
            }
            operations.drain();
            uploads.drain();
            held.armed = true;

            StorageWriter writer = replica.writerAt(path, a.length);
            assertEquals(a.length, writer.size());
            writer.expect(b.length);
            writer.write(ByteBuffer.wrap(b));
            uploads.awaitStart("the part's upload starts while ListParts is held");
            java.util.concurrent.CompletableFuture<Void> closing = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    writer.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300); // time to complete the part, if it were completed too early
            assertFalse(closing.isDone(), "the writer waits for the check");
            assertEquals(List.of((long) a.length), partSizes(key), "and the part waits with it");
            held.release.countDown();
            closing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(List.of((long) a.length, (long) b.length), partSizes(key));
            assertEquals(List.of("ok"), uploads.drain(), "one upload of the part");
            assertEquals(List.of("ListParts", "UploadPart"), operations.drain().stream().sorted().toList(),
                    "the upload is not looked up in full");
            try (StorageWriter committing = replica.writer(path, true)) {
                committing.commit();
            }
        }
        byte[] expected = concat(a, b);
        assertArrayEquals(expected, driver.getContent(path));
    }

    /**
     * A writer that started from this replica's record of an upload another replica has added to
     * since (a client sending one range twice, the second time here) keeps none of its bytes, and
     * fails with the size the store holds: while its first part fills, or at its close.
     */
    @Test
    @Timeout(60)
    void aChunkWhereThisReplicaLeftAnUploadChangedSinceKeepsNothingAndFails() throws IOException {
        String path = "/docker/registry/v2/repositories/r/_uploads/u13/data";
        String key = "some/root" + path;
        byte[] a = random(5 * MiB, 61);
        byte[] b = random(5 * MiB, 62);
        byte[] c = random(5 * MiB, 63);
        try (S3Driver replica = new S3Driver(options());
             S3Driver other = new S3Driver(options())) {
            try (StorageWriter writer = replica.writer(path, true)) {
                writer.write(ByteBuffer.wrap(a));
            }
            try (StorageWriter writer = other.writer(path, true)) {
                writer.write(ByteBuffer.wrap(b));
            }
            StorageWriter filling = replica.writerAt(path, a.length);
            assertEquals(a.length, filling.size(), "as this replica left it");
            ConcurrentWriteException whileFilling = assertThrows(ConcurrentWriteException.class,
                    () -> filling.write(ByteBuffer.wrap(random(6 * MiB, 64))));
            assertEquals(a.length + b.length, whileFilling.size());
            filling.close();
            assertEquals(List.of((long) a.length, (long) b.length), partSizes(key), "nothing of the chunk kept");

            try (StorageWriter writer = replica.writer(path, true)) {
                assertEquals(a.length + b.length, writer.size(), "the full look-up finds what is stored");
            }
            try (StorageWriter writer = other.writer(path, true)) {
                writer.write(ByteBuffer.wrap(c));
            }
            StorageWriter closing = replica.writerAt(path, a.length + b.length);
            closing.expect(100);
            closing.write(ByteBuffer.wrap(random(100, 65)));
            ConcurrentWriteException atClose = assertThrows(ConcurrentWriteException.class, closing::close);
            assertEquals(a.length + b.length + c.length, atClose.size());
            assertEquals(List.of((long) a.length, (long) b.length, (long) c.length), partSizes(key), "nothing of the chunk kept");

            try (StorageWriter writer = other.writer(path, true)) {
                writer.commit();
            }
            byte[] expected = concat(a, b, c);
            assertArrayEquals(expected, replica.getContent(path));
            assertEquals(1, replica.partBuffers().idleCount(), "the failed writers gave their buffer back");
        }
    }

    /**
     * An upload opened and closed empty, as a {@code POST} does for registry:2's sake, is an
     * unfinished multipart upload that another replica (or registry:2) continues; and the replica
     * that opened it is not fooled when the others meanwhile completed that upload to continue
     * past a short part (the upload it noted then has no part, as an empty one has).
     */
    @Test
    void anUploadOpenedEmptyIsContinuedElsewhereAndItsOpenerSeesTheChanges() throws IOException {
        String path = "/docker/registry/v2/repositories/r/_uploads/u11/data";
        byte[] a = random(MiB + 3, 41);
        byte[] b = random(MiB + 5, 42);
        byte[] c = random(77, 43);
        try (S3Driver opener = new S3Driver(options());
             S3Driver other = new S3Driver(options())) {
            opener.writer(path, false).close();
            assertEquals(1, uploads().size(), "an empty multipart upload, as registry:2's POST leaves");
            try (StorageWriter writer = other.writer(path, true)) {
                assertEquals(0, writer.size());
                writer.write(ByteBuffer.wrap(a)); // a short part
            }
            try (StorageWriter writer = other.writer(path, true)) {
                writer.write(ByteBuffer.wrap(b)); // completes the first upload, starts another
            }
            try (StorageWriter writer = opener.writer(path, true)) {
                assertEquals(a.length + b.length, writer.size(), "the opener finds what the other replica wrote");
                writer.write(ByteBuffer.wrap(c));
                writer.commit();
            }
            byte[] expected = concat(a, b, c);
            assertArrayEquals(expected, opener.getContent(path));
            assertEquals(List.of(), uploads());
        }
    }

    @Test
    void writerWithoutAppendDiscardsUnfinishedUploads() throws IOException {
        try (StorageWriter writer = driver.writer("/w/data", true)) {
            writer.write(ByteBuffer.wrap(random(100, 7)));
        }
        try (StorageWriter writer = driver.writer("/w/data", false)) {
            assertEquals(0, writer.size());
            writer.write(ByteBuffer.wrap("fresh".getBytes()));
        }
        try (StorageWriter writer = driver.writer("/w/data", true)) {
            assertEquals(5, writer.size());
            writer.commit();
        }
        assertEquals("fresh", new String(driver.getContent("/w/data")));
        assertEquals(List.of(), uploads());
    }

    @Test
    void largeMovesAreMultipartCopies() throws IOException {
        byte[] content = random(16 * MiB + 1, 8);
        try (StorageWriter writer = driver.writer("/big/_uploads/x/data", false)) {
            writer.write(ByteBuffer.wrap(content));
            writer.commit();
        }
        driver.move("/big/_uploads/x/data", "/big/blobs/data");
        assertArrayEquals(content, driver.getContent("/big/blobs/data"));
        assertEquals(List.of("some/root/big/blobs/data"), keys());
        assertEquals(List.of(), uploads());
    }

    @Test
    void presignedUrlsServeBytesAndRangesToAPlainHttpClient() throws Exception {
        byte[] content = random(300_000, 9);
        driver.putContent("/docker/registry/v2/blobs/sha256/aa/aabb/data", content);
        URI url = driver.redirectUrl("/docker/registry/v2/blobs/sha256/aa/aabb/data", "GET", Duration.ofMinutes(20)).orElseThrow();
        assertTrue(url.getRawQuery().contains("X-Amz-Signature="), url.toString());
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(content, whole.body());
            HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=1000-1999").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            assertArrayEquals(Arrays.copyOfRange(content, 1000, 2000), range.body());
            URI tampered = URI.create(url.toString().replace("aabb", "aabc"));
            HttpResponse<byte[]> refused = http.send(HttpRequest.newBuilder(tampered).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(403, refused.statusCode(), "a URL for another key is not signed");
        }
    }

    @Test
    void bucketCheckPassesForAWritableBucket() throws IOException {
        driver.checkBucket();
        assertEquals(List.of(), keys(), "the write check removes its object");
    }

    @Test
    void bucketCheckNamesAMissingBucket() {
        try (S3Driver wrong = new S3Driver(S3.options("no-such-bucket-here"))) {
            S3BucketCheckException e = assertThrows(S3BucketCheckException.class, wrong::checkBucket);
            assertEquals(S3BucketCheckException.Problem.NO_SUCH_BUCKET, e.problem(), e.getMessage());
        }
    }

    @Test
    void bucketCheckNamesWrongCredentials() {
        try (S3Driver wrong = new S3Driver(S3.options(bucket).withCredentials(S3ProxyServer.ACCESS_KEY, "not-the-secret"))) {
            S3BucketCheckException e = assertThrows(S3BucketCheckException.class, wrong::checkBucket);
            assertEquals(S3BucketCheckException.Problem.ACCESS_DENIED, e.problem(), e.getMessage());
        }
    }

    @Test
    void bucketCheckNamesAnUnreachableEndpoint() throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        S3Options options = S3Options.of(bucket, S3ProxyServer.REGION, URI.create("http://127.0.0.1:" + closedPort))
                .withCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
        try (S3Driver wrong = new S3Driver(options)) {
            S3BucketCheckException e = assertThrows(S3BucketCheckException.class, wrong::checkBucket);
            assertEquals(S3BucketCheckException.Problem.UNREACHABLE, e.problem(), e.getMessage());
        }
    }
}

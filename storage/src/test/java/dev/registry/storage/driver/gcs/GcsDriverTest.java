package dev.registry.storage.driver.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.StorageWriter;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the GCS driver does beyond the common contract, checked against {@link FakeGcsServer}. */
class GcsDriverTest {
    private static final int CHUNK = GcsSettings.CHUNK_GRANULARITY;
    @RegisterExtension
    static final FakeGcsExtension GCS = new FakeGcsExtension();

    private String bucket;

    @BeforeEach
    void newBucket() {
        bucket = GCS.newBucket("gcs-test");
    }

    private GcsDriver open(String root) throws IOException {
        return GCS.openDriver(bucket, root, CHUNK);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        int size = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer all = ByteBuffer.allocate(size);
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }

    @Test
    void objectsAreStoredInRegistry2sLayoutUnderTheRootDirectory() throws IOException {
        open("tenant/registry").putContent("/docker/registry/v2/repositories/library/alpine/_layers/x/link", new byte[]{1});
        open("").putContent("/docker/registry/v2/blobs/sha256/ab/abc/data", new byte[]{2});
        assertEquals(List.of("docker/registry/v2/blobs/sha256/ab/abc/data",
                "tenant/registry/docker/registry/v2/repositories/library/alpine/_layers/x/link"), GCS.server().objectNames(bucket));
        assertEquals(List.of("/docker"), open("tenant/registry").list("/"));
    }

    /**
     * An upload continued by a second driver (another replica: its own client, nothing shared but
     * the bucket) uploads only the new bytes and composes them server-side: the stored bytes are
     * never read back, and no request carries more than one chunk.
     */
    @Test
    void uploadResumedOnAnotherReplicaNeverReadsBackWhatIsStored() throws IOException {
        byte[] first = random(3 * CHUNK + 1000, 1);
        byte[] second = random(2 * CHUNK + 17, 2);
        byte[] third = random(5, 3);
        try (StorageWriter writer = open("r").writer("/_uploads/u1/data", true)) {
            writer.write(ByteBuffer.wrap(first));
        }
        long mediaReads = GCS.server().count("media");
        long composes = GCS.server().count("compose");
        GCS.server().largestChunk.set(0);
        try (StorageWriter writer = open("r").writer("/_uploads/u1/data", true)) {
            assertEquals(first.length, writer.size());
            writer.write(ByteBuffer.wrap(second));
            assertEquals(first.length + second.length, writer.size());
        }
        GcsDriver third3 = open("r");
        try (StorageWriter writer = third3.writer("/_uploads/u1/data", true)) {
            assertEquals(first.length + second.length, writer.size());
            writer.write(ByteBuffer.wrap(third));
            writer.commit();
        }
        assertEquals(mediaReads, GCS.server().count("media"), "the stored part was read back");
        assertEquals(composes + 2, GCS.server().count("compose"));
        assertTrue(GCS.server().largestChunk.get() <= CHUNK, "a request carried " + GCS.server().largestChunk.get() + " bytes");
        assertArrayEquals(concat(first, second, third), third3.getContent("/_uploads/u1/data"));
        // no upload part is left behind, and none was ever listed
        assertEquals(List.of("r/_uploads/u1/data"), GCS.server().objectNames(bucket));
    }

    /** Two writers appending to the same stored bytes: the second to finish fails and changes nothing. */
    @Test
    void racingAppendersCannotBothWin() throws IOException {
        GcsDriver driver = open("");
        driver.putContent("/up/data", "base,".getBytes(StandardCharsets.UTF_8));
        StorageWriter one = driver.writer("/up/data", true);
        StorageWriter two = open("").writer("/up/data", true);
        one.write(ByteBuffer.wrap("one".getBytes(StandardCharsets.UTF_8)));
        two.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.UTF_8)));
        one.close();
        assertThrows(ConcurrentWriteException.class, two::close);
        assertEquals("base,one", new String(driver.getContent("/up/data"), StandardCharsets.UTF_8));
        try (StorageWriter next = open("").writer("/up/data", true)) {
            assertEquals(one.contentTag(), next.contentTag(), "the generation the winner left");
        }
        assertEquals(List.of("up/data"), GCS.server().objectNames(bucket));
    }

    @Test
    void moveRewritesServerSideInSeveralCallsWithoutReadingTheData() throws IOException {
        GcsDriver driver = open("root");
        byte[] content = random(3 * FakeGcsServer.REWRITE_BYTES_PER_CALL + 5, 4);
        driver.putContent("/_uploads/u/data", content);
        long mediaReads = GCS.server().count("media");
        long rewrites = GCS.server().count("rewrite");
        driver.move("/_uploads/u/data", "/blobs/sha256/aa/aabb/data");
        assertEquals(mediaReads, GCS.server().count("media"));
        assertEquals(rewrites + 4, GCS.server().count("rewrite"), "one rewrite call per MiB, continued with the rewriteToken");
        assertArrayEquals(content, driver.getContent("/blobs/sha256/aa/aabb/data"));
        assertThrows(PathNotFoundException.class, () -> driver.stat("/_uploads/u/data"));
    }

    @Test
    void listingsOfMoreThanAThousandEntriesTakeSeveralPages() throws IOException {
        GcsDriver driver = open("");
        for (int i = 0; i < 2_100; i++) {
            driver.putContent(String.format("/repos/r%04d/_manifests/tags/latest/current/link", i), new byte[]{(byte) i});
        }
        long lists = GCS.server().count("list");
        List<String> repositories = driver.list("/repos");
        assertEquals(2_100, repositories.size());
        assertEquals("/repos/r0000", repositories.get(0));
        assertEquals("/repos/r2099", repositories.get(2_099));
        assertEquals(lists + 3, GCS.server().count("list"), "2,100 prefixes in pages of 1,000");
    }

    @Test
    void signedUrlsServeTheObjectAndHonourRange() throws Exception {
        GcsDriver driver = open("root");
        byte[] content = random(100_000, 5);
        driver.putContent("/blobs/data", content);
        URI url = driver.redirectUrl("/blobs/data", "GET", Duration.ofMinutes(20)).orElseThrow();
        assertTrue(url.getQuery().contains("X-Goog-Algorithm=GOOG4-RSA-SHA256"), url.toString());
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(content, whole.body());
            HttpResponse<byte[]> part = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=10-19").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, part.statusCode());
            assertEquals("bytes 10-19/100000", part.headers().firstValue("Content-Range").orElseThrow());
            assertArrayEquals(Arrays.copyOfRange(content, 10, 20), part.body());
        }
    }

    @Test
    void tamperedExpiredAndMisusedSignedUrlsAreRefused() throws Exception {
        GcsDriver driver = open("root");
        driver.putContent("/blobs/a", new byte[]{1});
        driver.putContent("/blobs/b", new byte[]{2});
        URI a = driver.redirectUrl("/blobs/a", "GET", Duration.ofMinutes(20)).orElseThrow();
        URI otherObject = URI.create(a.toString().replace("%2Fa?", "%2Fb?").replace("/a?", "/b?"));
        String signature = a.getRawQuery().replaceAll(".*X-Goog-Signature=([0-9a-f]+).*", "$1");
        char flipped = signature.charAt(10) == '0' ? '1' : '0';
        URI tampered = URI.create(a.toString().replace(signature,
                signature.substring(0, 10) + flipped + signature.substring(11)));
        URI head = driver.redirectUrl("/blobs/a", "HEAD", Duration.ofMinutes(20)).orElseThrow();
        URI expiring = driver.redirectUrl("/blobs/a", "GET", Duration.ofSeconds(1)).orElseThrow();
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertEquals(403, status(http, otherObject, "GET"));
            assertEquals(403, status(http, tampered, "GET"));
            assertEquals(403, status(http, head, "GET"), "a URL signed for HEAD must not serve GET");
            assertEquals(200, status(http, head, "HEAD"));
            Thread.sleep(2_100);
            assertEquals(400, status(http, expiring, "GET"));
            assertEquals(200, status(http, a, "GET"));
        }
        assertTrue(driver.redirectUrl("/blobs/a", "PUT", Duration.ofMinutes(1)).isEmpty());
    }

    private static int status(HttpClient http, URI url, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(url).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void withoutAKeyThereIsNoRedirect() throws IOException {
        FakeGcsServer open = FakeGcsServer.start();
        try (open) {
            open.createBucket("anon");
            GcsDriver driver = GcsDriver.open(new GcsSettings("anon", Optional.empty(), "", CHUNK,
                    Optional.of(open.endpoint()), true));
            driver.putContent("/x", new byte[]{1});
            assertFalse(driver.canSign());
            assertTrue(driver.redirectUrl("/x", "GET", Duration.ofMinutes(1)).isEmpty());
        }
    }

    @Test
    void startupNamesTheSettingAtFault() throws Exception {
        GcsStartupException bucketMissing = assertThrows(GcsStartupException.class, () -> GcsDriver.open(
                GCS.settings("no-such-bucket", "", CHUNK)));
        assertEquals(GcsStartupException.Problem.BUCKET, bucketMissing.problem());

        String foreignKey = GCS.server().untrustedServiceAccount("intruder@elsewhere.iam.gserviceaccount.com").json();
        GcsStartupException refused = assertThrows(GcsStartupException.class, () -> GcsDriver.open(
                new GcsSettings(bucket, Optional.of(foreignKey), "", CHUNK, Optional.of(GCS.server().endpoint()), false)));
        assertEquals(GcsStartupException.Problem.CREDENTIALS, refused.problem(), refused.getMessage());

        GcsStartupException anonymous = assertThrows(GcsStartupException.class, () -> GcsDriver.open(
                new GcsSettings(bucket, Optional.empty(), "", CHUNK, Optional.of(GCS.server().endpoint()), true)));
        assertEquals(GcsStartupException.Problem.CREDENTIALS, anonymous.problem(), anonymous.getMessage());

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        GcsStartupException nobody = assertThrows(GcsStartupException.class, () -> GcsDriver.open(
                new GcsSettings(bucket, Optional.empty(), "", CHUNK, Optional.of(URI.create("http://127.0.0.1:" + closedPort)), true)));
        assertEquals(GcsStartupException.Problem.ENDPOINT, nobody.problem(), nobody.getMessage());
    }

    /** The fake enforces GCS's preconditions as the client sends them. */
    @Test
    void generationPreconditionsAreEnforced() throws IOException {
        try (FakeGcsServer anonymous = FakeGcsServer.start()) {
            Storage storage = StorageOptions.http().setHost(anonymous.endpoint().toString()).setProjectId("p")
                    .setCredentials(NoCredentials.getInstance()).build().getService();
            anonymous.createBucket("pre");
            BlobInfo info = BlobInfo.newBuilder(BlobId.of("pre", "o")).build();
            long generation = storage.create(info, new byte[]{1}, Storage.BlobTargetOption.doesNotExist()).getGeneration();
            StorageException exists = assertThrows(StorageException.class,
                    () -> storage.create(info, new byte[]{2}, Storage.BlobTargetOption.doesNotExist()));
            assertEquals(412, exists.getCode());
            StorageException stale = assertThrows(StorageException.class,
                    () -> storage.create(info, new byte[]{2}, Storage.BlobTargetOption.generationMatch(generation + 1)));
            assertEquals(412, stale.getCode());
            StorageException notMatch = assertThrows(StorageException.class,
                    () -> storage.create(info, new byte[]{2}, Storage.BlobTargetOption.generationNotMatch(generation)));
            assertEquals(412, notMatch.getCode());
            StorageException meta = assertThrows(StorageException.class,
                    () -> storage.delete(BlobId.of("pre", "o"), Storage.BlobSourceOption.metagenerationMatch(7)));
            assertEquals(412, meta.getCode());
            assertTrue(storage.create(info, new byte[]{3}, Storage.BlobTargetOption.generationMatch(generation))
                    .getGeneration() > generation);
            assertArrayEquals(new byte[]{3}, storage.readAllBytes(BlobId.of("pre", "o")));
        }
    }
}

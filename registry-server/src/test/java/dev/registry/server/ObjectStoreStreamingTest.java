package dev.registry.server;

import dev.registry.config.InMemoryConfig;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blob bodies from a driver whose reader is not a local file (object stores, in-memory) are read
 * on worker threads: a read that blocks (a slow bucket) never stalls the event loop, and so never
 * stalls the other connections that loop serves.
 */
class ObjectStoreStreamingTest {
    private static final byte[] BLOB = new byte[3 * 1024 * 1024 + 17];
    private static final ObservedDriver driver = new ObservedDriver(new InMemoryDriver());
    private static RegistryServer server;
    private static String base;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static String digest;

    @BeforeAll
    static void start() throws Exception {
        new Random(7).nextBytes(BLOB);
        digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BLOB));
        server = RegistryServer.start(TestServers.config(new InMemoryConfig(), true, 1000), driver);
        base = "http://127.0.0.1:" + server.port();
        HttpResponse<byte[]> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/stream/test/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(202, started.statusCode());
        String location = started.headers().firstValue("Location").orElseThrow();
        URI put = URI.create((location.startsWith("http") ? location : base + location)
                + (location.contains("?") ? "&" : "?") + "digest=" + digest);
        HttpResponse<byte[]> pushed = http.send(HttpRequest.newBuilder(put).PUT(HttpRequest.BodyPublishers.ofByteArray(BLOB)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(201, pushed.statusCode());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void blobBodyIsReadOffTheEventLoopAndArrivesWhole() throws Exception {
        driver.eventLoopReads.set(0);
        driver.reads.set(0);
        HttpResponse<byte[]> response = getBlob();
        assertEquals(200, response.statusCode());
        assertEquals(String.valueOf(BLOB.length), response.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(digest, response.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertArrayEquals(BLOB, response.body());
        assertTrue(driver.reads.get() > 0, "the blob was read through the driver's reader");
        assertEquals(0, driver.eventLoopReads.get(), "reads of the blob ran on an event loop thread");
    }

    @Test
    void aBlockedStorageReadDoesNotStallOtherConnections() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        driver.gate = release;
        try {
            CompletableFuture<HttpResponse<byte[]>> stuck = http.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + "/v2/stream/test/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertTrue(driver.waiting.await(10, TimeUnit.SECONDS), "the blob read never started");
            // Fresh connections spread over every event loop, including the stuck GET's one.
            List<CompletableFuture<HttpResponse<byte[]>>> others = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                HttpClient fresh = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                others.add(fresh.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v2/")).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (CompletableFuture<HttpResponse<byte[]>> other : others) {
                assertEquals(200, other.get(5, TimeUnit.SECONDS).statusCode());
            }
            assertFalse(stuck.isDone(), "the blob GET finished while its storage read was held");
            release.countDown();
            HttpResponse<byte[]> response = stuck.get(10, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertArrayEquals(BLOB, response.body());
        } finally {
            driver.gate = null;
            release.countDown();
        }
    }

    private static HttpResponse<byte[]> getBlob() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v2/stream/test/blobs/" + digest)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Delegates to the in-memory driver, counting blob reads, and can hold them at a gate. */
    private static final class ObservedDriver extends ForwardingDriver {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger eventLoopReads = new AtomicInteger();
        final CountDownLatch waiting = new CountDownLatch(1);
        volatile CountDownLatch gate;

        ObservedDriver(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public ReadableByteChannel reader(String path, long offset) throws IOException {
            ReadableByteChannel channel = delegate.reader(path, offset);
            if (!path.endsWith("/data") || !path.contains("/blobs/")) {
                return channel;
            }
            return new ReadableByteChannel() {
                @Override
                public int read(ByteBuffer destination) throws IOException {
                    reads.incrementAndGet();
                    if (Thread.currentThread() instanceof FastThreadLocalThread) {
                        eventLoopReads.incrementAndGet();
                    }
                    CountDownLatch held = gate;
                    if (held != null) {
                        waiting.countDown();
                        try {
                            held.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                    return channel.read(destination);
                }

                @Override
                public boolean isOpen() {
                    return channel.isOpen();
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }
    }
}

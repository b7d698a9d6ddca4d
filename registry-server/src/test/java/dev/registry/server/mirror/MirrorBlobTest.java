package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.Digest;
import dev.registry.storage.PathLayout;
import dev.registry.storage.Registry;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blobs through the mirror against an upstream that misbehaves on purpose (a JDK HTTP server):
 * a body cut short or with the wrong bytes stores nothing, and concurrent requests share one
 * download whose bytes they all get.
 */
class MirrorBlobTest {
    private static final byte[] CONTENT = new byte[3 * 1024 * 1024 + 17];
    private static final Digest DIGEST;

    static {
        new Random(11).nextBytes(CONTENT);
        DIGEST = Digest.sha256(CONTENT);
    }

    private FakeUpstream upstream;
    private final AtomicInteger downloads = new AtomicInteger();
    /** What the upstream does with a blob GET. */
    private volatile String behaviour = "good";
    private final CountDownLatch release = new CountDownLatch(1);
    private InMemoryDriver driver;
    private Registry registry;
    private Mirror mirror;

    @BeforeEach
    void start() throws IOException {
        upstream = FakeUpstream.start(exchange -> {
            downloads.incrementAndGet();
            exchange.sendResponseHeaders(200, CONTENT.length);
            try (OutputStream out = exchange.getResponseBody()) {
                switch (behaviour) {
                    case "short" -> {
                        out.write(CONTENT, 0, CONTENT.length / 2);
                        out.flush();
                        release.await(20, TimeUnit.SECONDS); // and then nothing more arrives
                    }
                    case "corrupt" -> {
                        byte[] wrong = CONTENT.clone();
                        wrong[wrong.length - 1] ^= 1;
                        out.write(wrong);
                    }
                    case "slow" -> {
                        out.write(CONTENT, 0, 1024);
                        out.flush();
                        release.await(20, TimeUnit.SECONDS);
                        out.write(CONTENT, 1024, CONTENT.length - 1024);
                    }
                    default -> out.write(CONTENT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException cut) {
                exchange.close();
            }
        });
        driver = new InMemoryDriver();
        registry = new Registry(driver, true, Clock.systemUTC());
        mirror = new Mirror(upstream.singleRemote(Duration.ofMinutes(1)), registry,
                HttpClient.newHttpClient(), Clock.systemUTC(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        release.countDown();
        upstream.close();
    }

    private static ApiRequest get(String name) {
        String path = "/v2/" + name + "/blobs/" + DIGEST;
        return new ApiRequest(HttpMethod.GET, path, path, new DefaultHttpHeaders(), null, false, "127.0.0.1");
    }

    /** What a client gets: the mirror's stream if it answered, else the blob from storage. */
    private byte[] pull(String name) throws IOException {
        Optional<ApiResponse> answer = mirror.blob(get(name), name, DIGEST);
        if (answer.isEmpty()) {
            return readAll(registry.blobs().open(DIGEST, 0));
        }
        assertEquals(CONTENT.length, answer.get().streamLength());
        assertEquals(DIGEST.toString(), answer.get().headers().get("Docker-Content-Digest"));
        return readAll(answer.get().stream());
    }

    private static byte[] readAll(ReadableByteChannel channel) throws IOException {
        try (channel) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                out.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return out.toByteArray();
        }
    }

    private boolean stored() throws IOException {
        return registry.blobs().statGlobal(DIGEST).isPresent();
    }

    private boolean uploadsLeft(String name) throws IOException {
        try {
            return !driver.list(PathLayout.uploads(name)).isEmpty();
        } catch (PathNotFoundException none) {
            return false;
        }
    }

    @Test
    void aGoodBlobStreamsAndIsStoredThenServedFromTheCache() throws IOException {
        assertArrayEquals(CONTENT, pull("up/app"));
        assertTrue(stored());
        assertTrue(registry.blobs().stat("up/app", DIGEST).isPresent(), "linked into the repository");
        assertFalse(uploadsLeft("up/app"));

        assertArrayEquals(CONTENT, pull("up/app"));
        assertEquals(1, downloads.get(), "the second pull is a hit");
        assertEquals(1, mirror.counters().remote("up").blobMisses());
        assertEquals(1, mirror.counters().remote("up").blobHits());
    }

    @Test
    void aBodyWithTheWrongBytesFailsBeforeItsEndAndStoresNothing() throws IOException {
        behaviour = "corrupt";
        ReadableByteChannel stream = mirror.blob(get("up/app"), "up/app", DIGEST).orElseThrow().stream();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long delivered = 0;
        IOException failure = null;
        try (stream) {
            int n;
            while ((n = stream.read(buffer)) >= 0) {
                delivered += n;
                buffer.clear();
            }
        } catch (IOException e) {
            failure = e;
        }
        assertTrue(failure != null, "the digest mismatch fails the read");
        assertTrue(delivered < CONTENT.length, "the client never receives a whole body that does not match");
        assertFalse(stored());
        assertFalse(uploadsLeft("up/app"));
        assertFalse(registry.blobs().stat("up/app", DIGEST).isPresent());
    }

    @Test
    void aBodyThatStopsHalfWayIsAbandonedAndStoresNothing() throws IOException {
        behaviour = "short";
        long started = System.nanoTime();
        assertThrows(IOException.class, () -> pull("up/app"));
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(15), "the stall check cut it");
        assertFalse(stored());
        assertFalse(uploadsLeft("up/app"));
    }

    @Test
    void concurrentRequestsShareOneDownloadAndAllGetTheBytes() throws Exception {
        behaviour = "slow";
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<byte[]> first = clients.submit(() -> pull("up/app"));
            while (downloads.get() == 0) {
                Thread.sleep(10);
            }
            Thread.sleep(100); // the first request is now the download in progress
            List<Future<byte[]>> others = new java.util.ArrayList<>();
            for (int i = 0; i < 7; i++) {
                others.add(clients.submit(() -> pull("up/app")));
            }
            Thread.sleep(300);
            release.countDown();
            assertArrayEquals(CONTENT, first.get(30, TimeUnit.SECONDS));
            for (Future<byte[]> other : others) {
                assertArrayEquals(CONTENT, other.get(30, TimeUnit.SECONDS));
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(1, downloads.get(), "one upstream download for 8 requests");
    }

    @Test
    void whenTheFirstClientLeavesTheDownloadFinishesForThoseWaiting() throws Exception {
        behaviour = "slow";
        ReadableByteChannel leader = mirror.blob(get("up/app"), "up/app", DIGEST).orElseThrow().stream();
        leader.read(ByteBuffer.allocate(512));
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<byte[]> follower = clients.submit(() -> pull("up/app"));
            Thread.sleep(300);
            leader.close();
            release.countDown();
            assertArrayEquals(CONTENT, follower.get(30, TimeUnit.SECONDS));
        } finally {
            clients.shutdownNow();
        }
        assertEquals(1, downloads.get());
        assertTrue(stored());
    }
}

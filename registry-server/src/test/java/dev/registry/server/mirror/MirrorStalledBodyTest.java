package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An upstream that sends a manifest's response head and then goes quiet in the middle of its
 * body: the look-up gives up after the stall timeout, answering {@code UNAVAILABLE} for a tag that
 * is not cached and serving the cached one otherwise, and the next look-up of the same tag is not
 * left waiting for the first.
 */
@Timeout(60)
class MirrorStalledBodyTest {
    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(1);
    private static final byte[] MANIFEST = FakeUpstream.manifest("stalled");
    private static final Digest DIGEST = Digest.sha256(MANIFEST);
    private static final Digest MOVED = Digest.sha256("another manifest".getBytes(StandardCharsets.UTF_8));

    private final AtomicBoolean stalling = new AtomicBoolean();
    private final CountDownLatch end = new CountDownLatch(1);
    private FakeUpstream upstream;
    private Registry registry;
    private Mirror mirror;

    @BeforeEach
    void start() throws IOException {
        upstream = FakeUpstream.start(this::answer);
        registry = new Registry(new InMemoryDriver(), true, Clock.systemUTC());
        // ttl zero: every pull of a cached tag asks upstream
        mirror = new Mirror(upstream.singleRemote(Duration.ZERO), registry,
                HttpClient.newHttpClient(), Clock.systemUTC(), STALL_TIMEOUT);
    }

    @AfterEach
    void stop() {
        end.countDown();
        upstream.close();
    }

    /** The manifest; while {@link #stalling}, a HEAD says the tag moved and a GET's body stops after 10 bytes. */
    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            exchange.getResponseHeaders().set("Docker-Content-Digest", (stalling.get() ? MOVED : DIGEST).toString());
            exchange.sendResponseHeaders(200, head ? -1 : MANIFEST.length);
            if (head) {
                return;
            }
            OutputStream out = exchange.getResponseBody();
            if (!stalling.get()) {
                out.write(MANIFEST);
                return;
            }
            out.write(MANIFEST, 0, 10);
            out.flush();
            end.await(50, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aTagThatIsNotCachedAnswersUnavailableAfterTheStallTimeout() throws Exception {
        stalling.set(true);
        for (int attempt = 0; attempt < 2; attempt++) {
            long started = System.nanoTime();
            RegistryException e = assertThrows(RegistryException.class, () -> mirror.manifest("up/app", "1"));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("did not arrive within"), e.getMessage());
            assertTrue(took.compareTo(STALL_TIMEOUT) >= 0 && took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
        }
        assertEquals(Optional.empty(), registry.tags().resolve("up/app", "1"), "nothing stored from half a manifest");
    }

    @Test
    void aCachedTagIsServedWhenTheUpstreamStallsInTheNewManifest() throws Exception {
        assertEquals(Optional.empty(), mirror.manifest("up/app", "1"), "fetched and cached");
        assertEquals(Optional.of(DIGEST), registry.tags().resolve("up/app", "1"));

        stalling.set(true);
        long started = System.nanoTime();
        assertEquals(Optional.empty(), mirror.manifest("up/app", "1"), "served from the cache");
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(10)) < 0);
        assertEquals(Optional.of(DIGEST), registry.tags().resolve("up/app", "1"), "the cached tag stays");
        assertEquals(1, mirror.counters().remote("up").staleServed(), "counted as a stale answer");
    }
}

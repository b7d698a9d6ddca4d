package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpExchange;
import dev.registry.config.ProxyConfig;
import dev.registry.storage.Digest;
import dev.registry.storage.PathLayout;
import dev.registry.storage.Registry;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How fresh a cached tag is: registry:2's form ({@code remoteurl}) asks upstream on every pull,
 * whatever its {@code ttl}, as registry:2's proxy does; a named remote serves a cached tag for
 * its {@code ttl} without asking.
 */
class MirrorTagFreshnessTest {
    private static final byte[] FIRST = FakeUpstream.manifest("first");
    private static final byte[] SECOND = FakeUpstream.manifest("second");

    private final AtomicReference<byte[]> current = new AtomicReference<>(FIRST);
    private final AtomicInteger heads = new AtomicInteger();
    private FakeUpstream upstream;

    @BeforeEach
    void start() throws IOException {
        upstream = FakeUpstream.start(this::answer);
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().startsWith("/v2/app/manifests/")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (exchange.getRequestMethod().equals("HEAD")) {
                heads.incrementAndGet();
            }
            FakeUpstream.sendManifest(exchange, current.get());
        }
    }

    private Registry pullTwiceAcrossAMove(ProxyConfig config, String name) throws IOException {
        Registry registry = new Registry(new InMemoryDriver(), true, Clock.systemUTC());
        Mirror mirror = new Mirror(config, registry, HttpClient.newHttpClient(), Clock.systemUTC());
        assertEquals(Optional.empty(), mirror.manifest(name, "1"), "fetched and cached");
        assertEquals(Optional.of(Digest.sha256(FIRST)), registry.tags().resolve(name, "1"));
        current.set(SECOND);
        assertEquals(Optional.empty(), mirror.manifest(name, "1"));
        return registry;
    }

    @Test
    void registry2FormChecksATagUpstreamOnEveryPullWhateverItsTtl() throws IOException {
        ProxyConfig config = new ProxyConfig(List.of(upstream.remote("default", Duration.ofHours(168))),
                Optional.of("default"), true);
        Registry registry = pullTwiceAcrossAMove(config, "app");
        assertEquals(Optional.of(Digest.sha256(SECOND)), registry.tags().resolve("app", "1"), "the moved tag, at once");
        assertEquals(1, heads.get(), "one HEAD upstream for the second pull");
    }

    @Test
    void aCachedManifestWhoseBytesAreGoneIsFetchedAgain() throws IOException {
        InMemoryDriver driver = new InMemoryDriver();
        ProxyConfig config = upstream.singleRemote(Duration.ofHours(1));
        Registry first = new Registry(driver, true, Clock.systemUTC());
        assertEquals(Optional.empty(), new Mirror(config, first, HttpClient.newHttpClient(), Clock.systemUTC())
                .manifest("up/app", "1"), "fetched and cached");
        Digest digest = Digest.sha256(FIRST);
        for (String reference : List.of("1", digest.toString())) {
            // what a garbage collection that ran during the fetch can leave: the links, not the bytes
            driver.delete(PathLayout.blobDirectory(digest));
            Registry later = new Registry(driver, true, Clock.systemUTC()); // another replica, or a restart
            Mirror mirror = new Mirror(config, later, HttpClient.newHttpClient(), Clock.systemUTC());
            assertEquals(Optional.empty(), mirror.manifest("up/app", reference), reference);
            assertEquals(digest, later.manifests().get("up/app", reference).digest(), "served again: " + reference);
        }
        assertEquals(0, heads.get(), "inside the ttl: fetched because the bytes were gone, not to check the tag");
    }

    @Test
    void aNamedRemoteServesACachedTagForItsTtlWithoutAsking() throws IOException {
        ProxyConfig config = upstream.singleRemote(Duration.ofHours(1));
        Registry registry = pullTwiceAcrossAMove(config, "up/app");
        assertEquals(Optional.of(Digest.sha256(FIRST)), registry.tags().resolve("up/app", "1"), "still the cached tag");
        assertEquals(0, heads.get(), "nothing asked upstream inside the ttl");
    }
}

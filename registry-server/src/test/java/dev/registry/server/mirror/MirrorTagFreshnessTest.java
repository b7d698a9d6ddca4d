package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registry.config.ProxyConfig;
import dev.registry.config.ProxyRemoteConfig;
import dev.registry.storage.Digest;
import dev.registry.storage.PathLayout;
import dev.registry.storage.Registry;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
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
    private static final byte[] FIRST = manifest("first");
    private static final byte[] SECOND = manifest("second");

    private final AtomicReference<byte[]> current = new AtomicReference<>(FIRST);
    private final AtomicInteger heads = new AtomicInteger();
    private HttpServer upstream;
    private URI url;

    private static byte[] manifest(String annotation) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,"
                + "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\"},"
                + "\"layers\":[],\"annotations\":{\"build\":\"" + annotation + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.setExecutor(Executors.newCachedThreadPool());
        upstream.createContext("/v2/app/manifests/", this::answer);
        upstream.start();
        url = URI.create("http://127.0.0.1:" + upstream.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        upstream.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] manifest = current.get();
            boolean head = exchange.getRequestMethod().equals("HEAD");
            if (head) {
                heads.incrementAndGet();
            }
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            exchange.getResponseHeaders().set("Docker-Content-Digest", Digest.sha256(manifest).toString());
            exchange.sendResponseHeaders(200, head ? -1 : manifest.length);
            if (!head) {
                exchange.getResponseBody().write(manifest);
            }
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
        ProxyConfig config = new ProxyConfig(List.of(new ProxyRemoteConfig("default", url, List.of(), Duration.ofHours(168))),
                Optional.of("default"), true);
        Registry registry = pullTwiceAcrossAMove(config, "app");
        assertEquals(Optional.of(Digest.sha256(SECOND)), registry.tags().resolve("app", "1"), "the moved tag, at once");
        assertEquals(1, heads.get(), "one HEAD upstream for the second pull");
    }

    @Test
    void aCachedManifestWhoseBytesAreGoneIsFetchedAgain() throws IOException {
        InMemoryDriver driver = new InMemoryDriver();
        ProxyConfig config = new ProxyConfig(List.of(new ProxyRemoteConfig("up", url, List.of(), Duration.ofHours(1))),
                Optional.empty(), false);
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
        ProxyConfig config = new ProxyConfig(List.of(new ProxyRemoteConfig("up", url, List.of(), Duration.ofHours(1))),
                Optional.empty(), false);
        Registry registry = pullTwiceAcrossAMove(config, "up/app");
        assertEquals(Optional.of(Digest.sha256(FIRST)), registry.tags().resolve("up/app", "1"), "still the cached tag");
        assertEquals(0, heads.get(), "nothing asked upstream inside the ttl");
    }
}

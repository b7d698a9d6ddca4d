package dev.registry.server.mirror;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.registry.config.ProxyConfig;
import dev.registry.config.ProxyRemoteConfig;
import dev.registry.storage.Digest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;

/** An upstream registry for the mirror's tests: the JDK's HTTP server on loopback, one handler for {@code /v2/}. */
final class FakeUpstream implements AutoCloseable {
    private final HttpServer server;

    private FakeUpstream(HttpServer server) {
        this.server = server;
    }

    /** Starts serving every {@code /v2/} request with {@code handler}, each on its own thread. */
    static FakeUpstream start(HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v2/", handler);
        server.start();
        return new FakeUpstream(server);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A remote named {@code name} on this upstream, anonymous, with {@code ttl}. */
    ProxyRemoteConfig remote(String name, Duration ttl) {
        return new ProxyRemoteConfig(name, url(), List.of(), ttl);
    }

    /**
     * The mirror configuration of most tests: one remote {@code up} on this upstream, with
     * {@code ttl}, which names must select by their first component.
     */
    ProxyConfig singleRemote(Duration ttl) {
        return new ProxyConfig(List.of(remote("up", ttl)), Optional.empty(), false);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** An OCI image manifest without layers, told apart from others by its {@code annotation}. */
    static byte[] manifest(String annotation) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,"
                + "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\"},"
                + "\"layers\":[],\"annotations\":{\"build\":\"" + annotation + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    /** Answers a manifest request as a registry does: its type and digest, and for a GET its bytes. */
    static void sendManifest(HttpExchange exchange, byte[] manifest) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        exchange.getResponseHeaders().set("Docker-Content-Digest", Digest.sha256(manifest).toString());
        exchange.sendResponseHeaders(200, head ? -1 : manifest.length);
        if (!head) {
            exchange.getResponseBody().write(manifest);
        }
    }
}

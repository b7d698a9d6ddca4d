package dev.registry.server;

import dev.registry.config.InMemoryConfig;
import dev.registry.config.RegistryConfig;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code storage.redirect.disable}: blob GETs answer 307 to the driver's signed URL unless it is
 * set, HEAD is always answered by the registry, and drivers without URLs are served directly.
 */
class BlobRedirectTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient(); // follows no redirects

    @Test
    void blobGetRedirectsToTheSignedUrlAndHeadDoesNot() throws Exception {
        try (RegistryServer server = RegistryServer.start(config(false), new SigningDriver())) {
            String base = "http://127.0.0.1:" + server.port();
            byte[] blob = "layer bytes".getBytes(StandardCharsets.UTF_8);
            String digest = push(base, blob);
            String hex = digest.substring(7);

            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(URI.create(base + "/v2/r/app/blobs/" + digest)).GET()
                    .header("Range", "bytes=0-3"));
            assertEquals(307, get.statusCode());
            assertEquals("https://signed.example/bucket/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex
                            + "/data?method=GET&expires=1200", get.headers().firstValue("Location").orElseThrow());
            assertEquals(digest, get.headers().firstValue("Docker-Content-Digest").orElseThrow());
            assertEquals(0, get.body().length);

            HttpResponse<byte[]> head = send(HttpRequest.newBuilder(URI.create(base + "/v2/r/app/blobs/" + digest))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode());
            assertEquals(String.valueOf(blob.length), head.headers().firstValue("Content-Length").orElseThrow());
            assertFalse(head.headers().firstValue("Location").isPresent());

            // a blob the repository does not link is unknown, never redirected
            HttpResponse<byte[]> other = send(HttpRequest.newBuilder(URI.create(base + "/v2/other/app/blobs/" + digest)).GET());
            assertEquals(404, other.statusCode());
        }
    }

    @Test
    void redirectDisableServesTheBytes() throws Exception {
        try (RegistryServer server = RegistryServer.start(config(true), new SigningDriver())) {
            String base = "http://127.0.0.1:" + server.port();
            byte[] blob = "served here".getBytes(StandardCharsets.UTF_8);
            String digest = push(base, blob);
            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(URI.create(base + "/v2/r/app/blobs/" + digest)).GET());
            assertEquals(200, get.statusCode());
            assertArrayEquals(blob, get.body());
        }
    }

    @Test
    void driversWithoutUrlsAreServedDirectlyEvenWithRedirectsOn() throws Exception {
        try (RegistryServer server = RegistryServer.start(config(false), new InMemoryDriver())) {
            String base = "http://127.0.0.1:" + server.port();
            byte[] blob = "no urls here".getBytes(StandardCharsets.UTF_8);
            String digest = push(base, blob);
            HttpResponse<byte[]> get = send(HttpRequest.newBuilder(URI.create(base + "/v2/r/app/blobs/" + digest)).GET());
            assertEquals(200, get.statusCode());
            assertArrayEquals(blob, get.body());
        }
    }

    private static RegistryConfig config(boolean redirectDisabled) {
        return TestServers.config(new InMemoryConfig(), redirectDisabled);
    }

    private static String push(String base, byte[] blob) throws Exception {
        return TestServers.pushBlob(HTTP, base, "r/app", blob);
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** An in-memory store that signs URLs as an object store would (the URL is fake; nothing fetches it). */
    private static final class SigningDriver extends ForwardingDriver {
        SigningDriver() {
            super(new InMemoryDriver());
        }

        @Override
        public Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
            delegate.stat(path);
            return Optional.of(URI.create("https://signed.example/bucket" + path + "?method=" + method + "&expires=" + validFor.toSeconds()));
        }

        @Override
        public String name() {
            return "signing";
        }
    }
}

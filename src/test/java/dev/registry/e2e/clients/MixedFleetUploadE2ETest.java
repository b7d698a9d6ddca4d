package dev.registry.e2e.clients;

import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our registry and CNCF Distribution ({@code docker-registry}) on one store with one
 * {@code http.secret}, as behind a load balancer that sends each request of a push anywhere: one
 * blob upload goes back and forth between them, each step sent to the {@code Location} the other
 * answered. registry:2 accepts a step only with a {@code _state} token signed under its secret
 * that names the upload's current size, so this holds only if our upload URLs carry such tokens.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MixedFleetUploadE2ETest {
    static final String SECRET = "shared-by-every-instance-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeEach
    void requireTools() {
        Cli.assumeTools(DistributionRegistry.BINARY);
    }

    @Test
    void oneUploadAlternatesBetweenOursAndDockerRegistryOnOneDirectory() throws Exception {
        Path work = RegistryProcess.workDir("mixed-fleet-upload");
        Path storage = work.resolve("storage");
        Files.createDirectories(storage);
        RegistryProcess ours = RegistryProcess.start(storage, "", Map.of("REGISTRY_HTTP_SECRET", SECRET));
        try (DistributionRegistry reference = DistributionRegistry.start(storage.resolveSibling("reference"), """
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                """.formatted(storage), SECRET)) {
            String oursUrl = ours.baseUrl();
            String referenceUrl = reference.baseUrl();
            int[] cuts = {0, 1024 * 1024 + 3, 2 * 1024 * 1024 + 11, 3 * 1024 * 1024 + 4097};
            uploadAlternating("mixed/fleet", 1, List.of(oursUrl, referenceUrl, oursUrl, referenceUrl), cuts);
            uploadAlternating("mixed/fleet", 2, List.of(referenceUrl, oursUrl, referenceUrl, oursUrl), cuts);
        } finally {
            ours.close();
        }
    }

    /**
     * Starts an upload of a fresh blob on {@code servers[0]}, sends two {@code PATCH}es to
     * {@code servers[1]} and {@code servers[2]} and the closing {@code PUT} (with a last chunk) to
     * {@code servers[3]}, each to the path and query of the previous answer's {@code Location};
     * then checks both servers serve the blob byte for byte. The blob is {@code cuts[3]} bytes;
     * the chunks start at {@code cuts[0..2]}.
     */
    static void uploadAlternating(String repository, long seed, List<String> servers, int[] cuts) throws Exception {
        byte[] blob = new byte[cuts[3]];
        new Random(seed).nextBytes(blob);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));

        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(servers.get(0) + "/v2/" + repository
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, started.statusCode(), servers.get(0) + ": " + started.body());
        String location = location(started);
        for (int i = 0; i < 2; i++) {
            String server = servers.get(i + 1);
            byte[] chunk = Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]);
            HttpResponse<String> patched = HTTP.send(HttpRequest.newBuilder(URI.create(server + pathAndQuery(location)))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, patched.statusCode(), "PATCH " + (i + 1) + " to " + server + ": " + patched.body());
            assertEquals("0-" + (cuts[i + 1] - 1), patched.headers().firstValue("Range").orElse(null), server);
            location = location(patched);
        }
        String last = servers.get(3);
        String target = pathAndQuery(location);
        HttpResponse<String> completed = HTTP.send(HttpRequest.newBuilder(URI.create(last + target
                        + (target.contains("?") ? "&" : "?") + "digest=" + digest))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOfRange(blob, cuts[2], cuts[3])))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", cuts[2] + "-" + (cuts[3] - 1))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, completed.statusCode(), "PUT to " + last + ": " + completed.body());
        assertEquals(digest, completed.headers().firstValue("Docker-Content-Digest").orElse(null));

        for (String server : List.of(servers.get(0), servers.get(1))) {
            HttpResponse<byte[]> pulled = HTTP.send(HttpRequest.newBuilder(URI.create(server + "/v2/" + repository + "/blobs/"
                    + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, pulled.statusCode(), server);
            assertArrayEquals(blob, pulled.body(), "the blob as " + server + " serves it");
        }
    }

    private static String location(HttpResponse<?> response) {
        String location = response.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location"));
        assertTrue(location.contains("_state="), "registry:2 needs the signed upload state in " + location);
        return location;
    }

    /** The path and query of an absolute or relative URL. */
    private static String pathAndQuery(String url) {
        URI uri = URI.create(url);
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }
}

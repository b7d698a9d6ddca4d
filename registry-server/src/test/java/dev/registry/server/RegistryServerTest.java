package dev.registry.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The core push and pull flows through the real Netty pipeline, in process, on the filesystem driver. */
class RegistryServerTest {
    @TempDir
    static Path root;
    static RegistryServer server;
    static HttpClient http = HttpClient.newHttpClient();
    static String base;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(root);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path));
    }

    @Test
    void baseAnswersWithApiVersion() throws Exception {
        HttpResponse<byte[]> response = send(request("/v2/"));
        assertEquals(200, response.statusCode());
        assertEquals("registry/2.0", response.headers().firstValue("Docker-Distribution-API-Version").orElseThrow());
        assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("{}", new String(response.body(), StandardCharsets.UTF_8));
    }

    @Test
    void streamedPatchThenPutStoresVerifiedBlob() throws Exception {
        byte[] blob = new byte[9 * 1024 * 1024 + 17];
        new Random(1).nextBytes(blob);
        String digest = sha256(blob);

        HttpResponse<byte[]> started = send(request("/v2/core/streamed/blobs/uploads/").POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(202, started.statusCode());
        assertEquals("0-0", started.headers().firstValue("Range").orElseThrow());
        String location = started.headers().firstValue("Location").orElseThrow();

        // ofInputStream has no known length, so the client sends Transfer-Encoding: chunked, as docker does
        HttpResponse<byte[]> patched = send(request(location).method("PATCH",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(blob))));
        assertEquals(202, patched.statusCode());
        assertEquals("0-" + (blob.length - 1), patched.headers().firstValue("Range").orElseThrow());

        HttpResponse<byte[]> put = send(request(location + "?digest=" + digest).PUT(HttpRequest.BodyPublishers.noBody()));
        assertEquals(201, put.statusCode(), new String(put.body()));
        assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElseThrow());

        HttpResponse<byte[]> pulled = send(request("/v2/core/streamed/blobs/" + digest));
        assertEquals(200, pulled.statusCode());
        assertArrayEquals(blob, pulled.body());
        assertEquals(String.valueOf(blob.length), pulled.headers().firstValue("Content-Length").orElseThrow());

        HttpResponse<byte[]> ranged = send(request("/v2/core/streamed/blobs/" + digest).header("Range", "bytes=10-19"));
        assertEquals(206, ranged.statusCode());
        assertEquals("bytes 10-19/" + blob.length, ranged.headers().firstValue("Content-Range").orElseThrow());
        assertArrayEquals(java.util.Arrays.copyOfRange(blob, 10, 20), ranged.body());

        // the upload directory is gone and the blob sits where distribution keeps it
        String hex = digest.substring(7);
        var driver = server.registry().driver();
        assertEquals(blob.length, driver.stat("/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data").size());
        assertEquals(digest, new String(driver.getContent("/docker/registry/v2/repositories/core/streamed/_layers/sha256/" + hex + "/link"),
                StandardCharsets.UTF_8));
    }

    @Test
    void wrongDigestStoresNothing() throws Exception {
        byte[] blob = "some bytes".getBytes(StandardCharsets.UTF_8);
        String wrong = sha256("other bytes".getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> response = send(request("/v2/core/wrong/blobs/uploads/?digest=" + wrong)
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)));
        assertEquals(400, response.statusCode());
        assertTrue(new String(response.body()).contains("\"DIGEST_INVALID\""));
        assertEquals(404, send(request("/v2/core/wrong/blobs/" + wrong).method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode());
        assertEquals(404, send(request("/v2/core/wrong/blobs/" + sha256(blob)).method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode());
    }

    @Test
    void manifestRoundTripWithTagsCatalogAndReferrers() throws Exception {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        assertEquals(201, send(request("/v2/core/app/blobs/uploads/?digest=" + configDigest)
                .POST(HttpRequest.BodyPublishers.ofByteArray(config))).statusCode());
        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                  "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},
                  "layers":[]}""".formatted(configDigest);
        byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = send(request("/v2/core/app/manifests/v1")
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifestBytes)));
        assertEquals(201, put.statusCode(), new String(put.body()));
        String digest = sha256(manifestBytes);
        assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElseThrow());

        HttpResponse<byte[]> get = send(request("/v2/core/app/manifests/v1"));
        assertEquals(200, get.statusCode());
        assertArrayEquals(manifestBytes, get.body());
        assertEquals("application/vnd.oci.image.manifest.v1+json", get.headers().firstValue("Content-Type").orElseThrow());

        String referrer = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-sig",
                  "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},
                  "layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d},
                  "annotations":{"a":"b"}}""".formatted(configDigest, digest, manifestBytes.length);
        byte[] referrerBytes = referrer.getBytes(StandardCharsets.UTF_8);
        String referrerDigest = sha256(referrerBytes);
        HttpResponse<byte[]> putReferrer = send(request("/v2/core/app/manifests/" + referrerDigest)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(referrerBytes)));
        assertEquals(201, putReferrer.statusCode(), new String(putReferrer.body()));
        assertEquals(digest, putReferrer.headers().firstValue("OCI-Subject").orElseThrow());

        HttpResponse<byte[]> referrers = send(request("/v2/core/app/referrers/" + digest + "?artifactType=application/x-sig"));
        assertEquals(200, referrers.statusCode());
        assertEquals("artifactType", referrers.headers().firstValue("OCI-Filters-Applied").orElseThrow());
        String body = new String(referrers.body(), StandardCharsets.UTF_8);
        assertTrue(body.contains("\"digest\":\"" + referrerDigest + "\""), body);
        assertTrue(body.contains("\"artifactType\":\"application/x-sig\""), body);
        assertTrue(body.contains("\"annotations\":{\"a\":\"b\"}"), body);

        assertEquals("{\"name\":\"core/app\",\"tags\":[\"v1\"]}", new String(send(request("/v2/core/app/tags/list")).body()));
        assertTrue(new String(send(request("/v2/_catalog")).body()).contains("\"core/app\""));
    }
}

package dev.registry.e2e.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 framing across several requests on one connection, as every real client reuses
 * connections: after errors (whose bodies the server may not have read), after HEAD answers,
 * ranges and chunked bodies, the next answer on the same connection must still be right.
 * A server may close the connection instead ({@code Connection: close}), then the next request
 * goes on a new connection.
 */
class ConnectionReuseTest extends ApiTestBase {
    private String repo;
    private byte[] blob;
    private String digest;

    @BeforeAll
    void content() throws Exception {
        repo = repo("conn");
        blob = Digests.randomBytes(10_000);
        digest = client.pushBlob(repo, blob);
    }

    private RawHttp.Request versionCheck() {
        return client.raw().request("GET", "/v2/").keepAlive();
    }

    private static boolean closes(ApiResponse response) {
        String connection = response.header("Connection");
        return connection != null && connection.equalsIgnoreCase("close");
    }

    /** Sends {@code first} and then {@code GET /v2/} on the same connection (unless the server closed it). */
    private ApiResponse thenVersionCheck(RawHttp.Request first, int expectedFirstStatus) throws Exception {
        try (RawHttp.Connection connection = client.raw().open()) {
            ApiResponse response = connection.exchange(first.keepAlive());
            assertStatus(expectedFirstStatus, response);
            if (closes(response)) {
                return response;
            }
            ApiResponse next = connection.exchange(versionCheck());
            assertStatus(200, next);
            assertEquals("{}", next.text().trim(), () -> "answer after " + response + " was garbled: " + next);
            return response;
        }
    }

    @Test
    void afterHeadOfABlob() throws Exception {
        ApiResponse head = thenVersionCheck(client.raw().request("HEAD", "/v2/" + repo + "/blobs/" + digest), 200);
        assertEquals(String.valueOf(blob.length), head.header("Content-Length"));
    }

    @Test
    void afterAFullBlob() throws Exception {
        ApiResponse get = thenVersionCheck(client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest), 200);
        assertBody(blob, get);
    }

    @Test
    void afterARange() throws Exception {
        ApiResponse get = thenVersionCheck(client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest)
                .header("Range", "bytes=100-199"), 206);
        assertBody(Arrays.copyOfRange(blob, 100, 200), get);
    }

    @Test
    void afterAnUnsatisfiableRange() throws Exception {
        thenVersionCheck(client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest)
                .header("Range", "bytes=20000-"), 416);
    }

    @Test
    void afterA404() throws Exception {
        thenVersionCheck(client.raw().request("GET", "/v2/" + repo + "/blobs/" + Digests.randomSha256()), 404);
        thenVersionCheck(client.raw().request("HEAD", "/v2/" + repo + "/manifests/nosuchtag"), 404);
    }

    @Test
    void afterARejectedManifestWithALargeBody() throws Exception {
        byte[] body = ("{\"schemaVersion\":2,\"junk\":\"" + "x".repeat(200_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        thenVersionCheck(client.raw().request("PUT", "/v2/" + repo + "/manifests/t")
                .header("Content-Type", Manifests.OCI_MANIFEST).body(body), 400);
    }

    @Test
    void afterARejectedNameWithABody() throws Exception {
        thenVersionCheck(client.raw().request("PUT", "/v2/Upper" + repo + "/manifests/t")
                .header("Content-Type", Manifests.OCI_MANIFEST).body(Digests.randomBytes(50_000)), 400);
    }

    @Test
    void afterARejectedUploadOfALargeBody() throws Exception {
        URI location = client.uri(client.newUpload(repo));
        String target = location.getRawPath() + "?" + (location.getRawQuery() == null ? "" : location.getRawQuery() + "&")
                + "digest=" + Digests.randomSha256();
        thenVersionCheck(client.raw().request("PUT", target).header("Content-Type", "application/octet-stream")
                .body(Digests.randomBytes(300_000)), 400);
    }

    @Test
    void afterAnUnknownUploadWithABody() throws Exception {
        thenVersionCheck(client.raw().request("PATCH", "/v2/" + repo + "/blobs/uploads/" + java.util.UUID.randomUUID())
                .header("Content-Type", "application/octet-stream").body(Digests.randomBytes(100_000)), 404);
    }

    @Test
    void afterAChunkedPatch() throws Exception {
        URI location = client.uri(client.newUpload(repo));
        String target = location.getRawPath() + (location.getRawQuery() == null ? "" : "?" + location.getRawQuery());
        byte[] data = Digests.randomBytes(5000);
        thenVersionCheck(client.raw().request("PATCH", target).header("Content-Type", "application/octet-stream")
                .header("Transfer-Encoding", "chunked").rawBody(RawHttp.chunked(data, new int[] {1000}, false, null, null)),
                202);
    }

    @Test
    void manyRequestsOnOneConnection() throws Exception {
        try (RawHttp.Connection connection = client.raw().open()) {
            for (int i = 0; i < 20; i++) {
                ApiResponse head = connection.exchange(client.raw().request("HEAD", "/v2/" + repo + "/blobs/" + digest).keepAlive());
                assertStatus(200, head);
                ApiResponse get = connection.exchange(client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest)
                        .header("Range", "bytes=" + i + "-" + (i + 9)).keepAlive());
                assertStatus(206, get);
                assertBody(Arrays.copyOfRange(blob, i, i + 10), get);
                if (closes(get)) {
                    return;
                }
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp.Connection connection = client.raw().open()) {
            List<RawHttp.Request> requests = new ArrayList<>();
            requests.add(client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest).header("Range", "bytes=0-4").keepAlive());
            requests.add(client.raw().request("HEAD", "/v2/" + repo + "/blobs/" + digest).keepAlive());
            requests.add(client.raw().request("GET", "/v2/" + repo + "/blobs/" + Digests.randomSha256()).keepAlive());
            requests.add(versionCheck());
            for (RawHttp.Request request : requests) {
                connection.write(request);
            }
            ApiResponse range = connection.read("GET", "range");
            assertStatus(206, range);
            assertBody(Arrays.copyOf(blob, 5), range);
            if (closes(range)) {
                return;
            }
            ApiResponse head = connection.read("HEAD", "head");
            assertStatus(200, head);
            if (closes(head)) {
                return;
            }
            ApiResponse missing = connection.read("GET", "missing");
            assertStatus(404, missing);
            if (closes(missing)) {
                return;
            }
            ApiResponse version = connection.read("GET", "/v2/");
            assertStatus(200, version);
            assertEquals("{}", version.text().trim());
        }
    }

    @Test
    void expectContinueUpload() throws Exception {
        byte[] data = Digests.randomBytes(64 * 1024);
        String dataDigest = Digests.sha256(data);
        URI location = client.uri(client.newUpload(repo));
        String target = location.getRawPath() + "?" + (location.getRawQuery() == null ? "" : location.getRawQuery() + "&")
                + "digest=" + dataDigest;
        RawHttp.Request put = client.raw().request("PUT", target)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", String.valueOf(data.length))
                .header("Expect", "100-continue")
                .noAutoContentLength();
        try (RawHttp.Connection connection = client.raw().open()) {
            connection.write(put);
            int interim = connection.peekInterim(3000);
            assertTrue(interim == 100 || interim == -1, () -> "expected 100 Continue (or nothing yet), got " + interim);
            connection.writeRaw(data);
            ApiResponse response = connection.read("PUT", target);
            assertStatus(201, response);
        }
        assertBody(data, client.get("/v2/" + repo + "/blobs/" + dataDigest));
    }

    @Test
    void expectContinueForARejectedRequestMayBeAnsweredAtOnce() throws Exception {
        RawHttp.Request put = client.raw().request("PUT", "/v2/Upper" + repo + "/manifests/t")
                .header("Content-Type", Manifests.OCI_MANIFEST)
                .header("Content-Length", "100000")
                .header("Expect", "100-continue")
                .noAutoContentLength();
        try (RawHttp.Connection connection = client.raw().open()) {
            connection.write(put);
            int interim = connection.peekInterim(3000);
            if (interim == 100 || interim == -1) {
                connection.writeRaw(new byte[100_000]);
            }
            ApiResponse response = connection.read("PUT", "/v2/Upper.../manifests/t");
            assertStatus(400, response);
        }
    }

    @Test
    void afterHeadOfAManifestAndOfTheVersionCheck() throws Exception {
        Image image = pushImage(repo, "latest");
        ApiResponse head = thenVersionCheck(client.raw().request("HEAD", "/v2/" + repo + "/manifests/latest")
                .header("Accept", RegistryClient.ACCEPT_MANIFESTS), 200);
        assertEquals(String.valueOf(image.manifest().length), head.header("Content-Length"));
        thenVersionCheck(client.raw().request("HEAD", "/v2/"), 200);
    }
}

package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertNotServerError;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The error body format, and a pile of malformed requests none of which may cause a 5xx. */
class ErrorFormatTest extends ApiTestBase {
    private static final String REPO = repo("errors");
    private static final String MISSING = repo("missing");
    private static final String OCTET = "application/octet-stream";
    private Image image;

    @BeforeAll
    void pushContent() throws Exception {
        image = pushImage(REPO, "latest");
    }

    /** Asserts every detail of the error format on a response the spec gives a code for. */
    private void assertFullErrorFormat(ApiResponse response, int status, String code) {
        assertError(response, status, code);
        JsonNode errors = response.json().get("errors");
        for (JsonNode error : errors) {
            assertTrue(Asserts.SPEC_CODES.contains(error.path("code").asText()),
                    () -> "code not in the spec: " + response);
            assertTrue(error.path("message").isTextual(), () -> "message should be a string: " + response);
        }
        String length = response.header("Content-Length");
        if (length != null) {
            assertEquals(String.valueOf(response.body().length), length, () -> "Content-Length of " + response);
        }
    }

    @Test
    void blobUnknown() throws Exception {
        assertFullErrorFormat(client.get("/v2/" + REPO + "/blobs/" + Digests.randomSha256()), 404, "BLOB_UNKNOWN");
        assertFullErrorFormat(client.delete("/v2/" + REPO + "/blobs/" + Digests.randomSha256()), 404, "BLOB_UNKNOWN");
    }

    @Test
    void blobUploadUnknown() throws Exception {
        assertFullErrorFormat(client.get("/v2/" + REPO + "/blobs/uploads/" + UUID.randomUUID()), 404,
                "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void digestInvalid() throws Exception {
        String location = client.newUpload(REPO);
        assertFullErrorFormat(client.put(RegistryClient.withDigest(location, Digests.randomSha256()),
                Digests.randomBytes(10), "Content-Type", OCTET), 400, "DIGEST_INVALID");
        assertFullErrorFormat(client.put(client.newUpload(REPO), Digests.randomBytes(10), "Content-Type", OCTET),
                400, "DIGEST_INVALID");
    }

    @Test
    void manifestUnknown() throws Exception {
        assertFullErrorFormat(client.getManifest(REPO, "nosuchtag"), 404, "MANIFEST_UNKNOWN");
        assertFullErrorFormat(client.getManifest(REPO, Digests.randomSha256()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void manifestInvalid() throws Exception {
        assertFullErrorFormat(client.putManifest(REPO, "broken", Manifests.OCI_MANIFEST,
                "{\"schemaVersion\":".getBytes(StandardCharsets.UTF_8)), 400, "MANIFEST_INVALID");
    }

    @Test
    void manifestBlobUnknown() throws Exception {
        byte[] manifest = Manifests.ociManifest(new Descriptor(Manifests.OCI_CONFIG, Digests.randomSha256(), 10), List.of());
        ApiResponse response = client.putManifest(REPO, "orphan", Manifests.OCI_MANIFEST, manifest);
        assertFullErrorFormat(response, 400, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void nameInvalid() throws Exception {
        assertFullErrorFormat(client.get("/v2/" + REPO + "/Upper/tags/list"), 400, "NAME_INVALID");
        assertFullErrorFormat(client.get("/v2/" + "a".repeat(256) + "/tags/list"), 400, "NAME_INVALID");
    }

    @Test
    void nameUnknown() throws Exception {
        assertFullErrorFormat(client.get("/v2/" + MISSING + "/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void headErrorsHaveNoBody() throws Exception {
        ApiResponse response = client.raw().request("HEAD", "/v2/" + REPO + "/blobs/" + Digests.randomSha256()).send();
        assertStatus(404, response);
        assertEquals(0, response.body().length);
    }

    // ---- garbage ----

    /** One malformed request; {@code api} marks those that reach the API (so must answer in JSON). */
    record Garbage(String method, String target, List<String[]> headers, byte[] body, boolean rawBody, boolean api) {
        RawHttp.Request build(RawHttp raw) {
            RawHttp.Request request = raw.request(method, target);
            headers.forEach(h -> request.header(h[0], h[1]));
            if (body != null) {
                if (rawBody) {
                    request.rawBody(body);
                } else {
                    request.body(body);
                }
            }
            return request;
        }
    }

    private static Arguments api(String method, String target, String body, String... headers) {
        return garbage(true, method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8), false, headers);
    }

    private static Arguments apiBytes(String method, String target, byte[] body, String... headers) {
        return garbage(true, method, target, body, false, headers);
    }

    private static Arguments http(String method, String target, byte[] rawBody, String... headers) {
        return garbage(false, method, target, rawBody, true, headers);
    }

    private static Arguments garbage(boolean api, String method, String target, byte[] body, boolean raw, String... headers) {
        List<String[]> list = new ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            list.add(new String[] {headers[i], headers[i + 1]});
        }
        String label = method + " " + (target.length() > 90 ? target.substring(0, 90) + "..." : target)
                + (headers.length > 0 ? " " + String.join(" ", headers).substring(0, Math.min(60, String.join(" ", headers).length())) : "")
                + (body != null ? " [" + body.length + " bytes]" : "");
        return Arguments.of(Named.of(label, new Garbage(method, target, list, body, raw, api)));
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    static Stream<Arguments> garbage() {
        String d = Digests.randomSha256();
        String r = REPO;
        String m = Manifests.OCI_MANIFEST;
        String i = Manifests.OCI_INDEX;
        String up = "/v2/" + r + "/blobs/uploads/";
        String man = "/v2/" + r + "/manifests/junk";
        String emptyCfg = Manifests.EMPTY_CONFIG.toJson().toString();
        ByteArrayOutputStream nonUtf8 = new ByteArrayOutputStream();
        nonUtf8.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe, '{', (byte) 0xc3, '}'});
        byte[] bom = ("\uFEFF{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg + ",\"layers\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                // methods and paths the API does not have
                api("PUT", "/v2/", ""), api("DELETE", "/v2/", (String) null), api("POST", "/v2/", ""),
                api("PATCH", "/v2/_catalog", ""), api("DELETE", "/v2/_catalog", (String) null), api("FOO", "/v2/", (String) null),
                api("POST", "/v2/" + r + "/tags/list", ""), api("DELETE", "/v2/" + r + "/tags/list", (String) null),
                api("PATCH", man, "{}"), api("POST", man, "{}"),
                api("PUT", "/v2/" + r + "/blobs/" + d, "x"), api("POST", "/v2/" + r + "/blobs/" + d, "x"),
                api("PATCH", "/v2/" + r + "/blobs/" + d, "x"),
                api("PATCH", up, "x"), api("PUT", up, "x"), api("DELETE", up, (String) null), api("GET", up, (String) null),
                api("GET", "/v2/" + r + "/blobs/", (String) null), api("GET", "/v2/" + r + "/manifests/", (String) null),
                api("GET", "/v2/" + r + "/tags/", (String) null), api("GET", "/v2/" + r + "/referrers/", (String) null),
                api("GET", "/v2/" + r, (String) null), api("GET", "/v2/" + r + "/", (String) null), api("GET", "/v2/_catalog/x", (String) null),
                api("GET", "/v2/" + r + "/blobs/uploads/x/y", (String) null), api("GET", "/v2/" + r + "/tags/list/x", (String) null),
                // query parameters
                api("GET", "/v2/" + r + "/tags/list?n=abc", (String) null), api("GET", "/v2/" + r + "/tags/list?n=-1", (String) null),
                api("GET", "/v2/" + r + "/tags/list?n=99999999999999999999", (String) null),
                api("GET", "/v2/" + r + "/tags/list?n=1.5", (String) null), api("GET", "/v2/" + r + "/tags/list?n=", (String) null),
                api("GET", "/v2/" + r + "/tags/list?last=%ff%fe", (String) null),
                api("GET", "/v2/" + r + "/tags/list?last=%00", (String) null),
                api("GET", "/v2/" + r + "/tags/list?n=2&n=3&last=a&last=b", (String) null),
                api("GET", "/v2/" + r + "/tags/list?%zz=1", (String) null),
                api("GET", "/v2/_catalog?n=abc", (String) null), api("GET", "/v2/_catalog?n=-5", (String) null),
                api("GET", "/v2/_catalog?n=99999999999999999999", (String) null), api("GET", "/v2/_catalog?last=%ff", (String) null),
                api("GET", "/v2/_catalog?n=2147483648", (String) null), api("GET", "/v2/_catalog?n=%", (String) null),
                api("GET", "/v2/" + r + "/referrers/" + d + "?artifactType=%ff", (String) null),
                api("GET", "/v2/" + r + "/referrers/" + d + "?artifactType=", (String) null),
                // upload parameters and headers
                api("POST", up + "?digest=garbage", "x", "Content-Type", OCTET),
                api("POST", up + "?digest=", "x", "Content-Type", OCTET),
                api("POST", up + "?digest=" + d, "", "Content-Type", OCTET),
                api("POST", up + "?mount=garbage&from=UPPER", ""), api("POST", up + "?mount=&from=", ""),
                api("POST", up + "?from=" + r, ""), api("POST", up + "?mount=" + d, ""),
                api("POST", up + "?mount=" + d + "&from=" + r + "/../x", ""),
                api("POST", up + "?mount=" + d + "&from=" + "a".repeat(300), ""),
                api("PATCH", up + UUID.randomUUID(), "x", "Content-Range", "garbage"),
                api("PUT", up + UUID.randomUUID() + "?digest=sha256:%00", "x"),
                api("PUT", up + UUID.randomUUID() + "?digest=%ff", "x"),
                // blob range headers
                api("GET", "/v2/" + r + "/blobs/" + d, (String) null, "Range", "bytes=abc"),
                api("GET", "/v2/" + r + "/blobs/" + d, (String) null, "Range", "bytes=5-2"),
                // manifest bodies
                api("PUT", man, "{\"schemaVersion\":\"two\"}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":\"x\"}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg
                        + ",\"layers\":[{\"digest\":\"bogus\"}]}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":{\"mediaType\":\"x\","
                        + "\"digest\":\"sha256:zz\",\"size\":-1},\"layers\":null}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg
                        + ",\"layers\":[null, 1, \"x\", []]}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":{\"mediaType\":\"x\","
                        + "\"digest\":\"" + d + "\",\"size\":99999999999999999999999}}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg
                        + ",\"layers\":[],\"subject\":\"string\"}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg
                        + ",\"layers\":[],\"subject\":{\"mediaType\":\"" + m + "\",\"digest\":\"sha256:..\",\"size\":1}}",
                        "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + m + "\",\"config\":" + emptyCfg
                        + ",\"layers\":[],\"artifactType\":7,\"annotations\":[1]}", "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + i + "\",\"manifests\":[null]}", "Content-Type", i),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + i + "\",\"manifests\":{}}", "Content-Type", i),
                api("PUT", man, "{\"schemaVersion\":2,\"mediaType\":\"" + i + "\",\"manifests\":[{\"mediaType\":\"x\","
                        + "\"digest\":\"sha256:zz\",\"size\":1}]}", "Content-Type", i),
                api("PUT", man, "{\"schemaVersion\":2,\"schemaVersion\":3}", "Content-Type", m),
                api("PUT", man, nested(100_000), "Content-Type", m),
                api("PUT", man, "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000), "Content-Type", m),
                api("PUT", man, "1e999999", "Content-Type", m), api("PUT", man, "\"string\"", "Content-Type", m),
                api("PUT", man, "123", "Content-Type", m), apiBytes("PUT", man, nonUtf8.toByteArray(), "Content-Type", m),
                apiBytes("PUT", man, bom, "Content-Type", m),
                api("PUT", man, "{\"schemaVersion\":2}", "Content-Type", "text/html"),
                api("PUT", man, "{\"schemaVersion\":2}"),
                api("PUT", man, "{}", "Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"),
                api("PUT", man, "{}", "Content-Type", Manifests.DOCKER_LIST),
                api("PUT", man, "{}", "Content-Type", "application/vnd.oci.artifact.manifest.v1+json"),
                api("PUT", "/v2/" + r + "/manifests/sha256:zz", "{}", "Content-Type", m),
                api("PUT", "/v2/" + r + "/manifests/md5:d41d8cd98f00b204e9800998ecf8427e", "{}", "Content-Type", m),
                // odd but harmless headers
                api("GET", "/v2/" + r + "/manifests/latest", (String) null, "Accept", ",,;;q=x"),
                api("GET", "/v2/" + r + "/manifests/latest", (String) null, "Accept", ""),
                api("GET", "/v2/" + r + "/manifests/latest", (String) null, "Range", "bytes=0-1"),
                api("GET", "/v2/" + r + "/manifests/latest", (String) null, "If-None-Match", "\"\\\""),
                api("GET", "/v2/" + r + "/tags/list", (String) null, "Authorization", "Bearer garbage"),
                api("GET", "/v2/" + r + "/tags/list", (String) null, "Authorization", "Basic !!!"),
                // HTTP-level garbage: the server may also just close the connection
                http("PUT", man, null, "Content-Length", "-1"),
                http("PUT", man, null, "Content-Length", "abc"),
                http("PUT", man, "{} ".getBytes(StandardCharsets.UTF_8), "Content-Length", "2", "Content-Length", "3"),
                http("PATCH", up + UUID.randomUUID(), "zz\r\nx\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                        "Transfer-Encoding", "chunked"),
                http("PUT", man, "{}".getBytes(StandardCharsets.UTF_8), "Transfer-Encoding", "gzip"),
                http("GET", "/v2/", null, "X-Big", "a".repeat(100_000)),
                http("GET", "/v2/" + "a".repeat(100_000) + "/tags/list", null),
                http("GET", "*", null),
                http("GET", "v2/", null),
                http("GET", "/v2/%", null),
                http("GET", "/v2/\u00e9", null),
                http("GET", "/v2/" + r + "/blobs/" + d, null, "Range", "bytes=0-1,3-4"),
                http("GET", "/v2/" + r + "/blobs/" + d, null, "Range", "bytes=99999999999999999999-"));
    }

    private ApiResponse sendGarbage(Garbage garbage) throws Exception {
        ApiResponse response = garbage.build(client.raw()).sendAllowingClose();
        if (garbage.api()) {
            assertNotNull(response, "the server closed the connection without answering a well-formed request");
        }
        // whatever happened, the server is still up
        assertStatus(200, client.get("/v2/"));
        return response;
    }

    @ParameterizedTest
    @MethodSource("garbage")
    void garbageNeverCausesAServerError(Garbage garbage) throws Exception {
        ApiResponse response = sendGarbage(garbage);
        if (response != null && !(response.status() == 501 && !garbage.api())) {
            // (501 is HTTP's own answer to a transfer coding the server does not implement)
            assertNotServerError(response);
        }
    }

    @ParameterizedTest
    @MethodSource("garbage")
    void apiErrorsAreJson(Garbage garbage) throws Exception {
        if (!garbage.api()) {
            return;
        }
        ApiResponse response = sendGarbage(garbage);
        if (response.status() >= 400 && response.status() != 416 && !response.method().equals("HEAD")) {
            Asserts.assertErrorBody(response);
        }
    }

    @Test
    void garbageLeavesTheRepositoryIntact() throws Exception {
        garbage().forEach(a -> {
            try {
                ((Garbage) ((Named<?>) a.get()[0]).getPayload()).build(client.raw()).sendAllowingClose();
            } catch (Exception ignored) {
                // only the aftermath counts here
            }
        });
        Asserts.assertBody(image.manifest(), client.getManifest(REPO, "latest"));
        ApiResponse tags = client.get("/v2/" + REPO + "/tags/list");
        assertStatus(200, tags);
        assertTrue(tags.json().get("tags").toString().contains("latest"));
        assertError(client.getManifest(REPO, "junk"), 404, "MANIFEST_UNKNOWN");
    }
}

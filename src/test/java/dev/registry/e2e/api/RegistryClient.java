package dev.registry.e2e.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A thin HTTP client for the registry API, with helpers for the common push steps. */
final class RegistryClient {
    /** What a manifest-aware client accepts: every manifest type the tests push. */
    static final String ACCEPT_MANIFESTS = String.join(", ",
            Manifests.OCI_MANIFEST, Manifests.OCI_INDEX, Manifests.DOCKER_MANIFEST, Manifests.DOCKER_LIST, "*/*");

    private final String baseUrl;
    private final HttpClient http;

    RegistryClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    String baseUrl() {
        return baseUrl;
    }

    RawHttp raw() {
        return new RawHttp(baseUrl);
    }

    /** An absolute URI for a path ({@code /v2/...}) or for an absolute or relative {@code Location}. */
    URI uri(String pathOrUrl) {
        return URI.create(baseUrl + "/").resolve(pathOrUrl);
    }

    /** The same path and query as {@code location} but on this client's registry. */
    String rebase(String location) {
        URI u = uri(location);
        return baseUrl + u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }

    static String withQuery(String url, String name, String value) {
        return url + (url.contains("?") ? "&" : "?") + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String withDigest(String url, String digest) {
        return withQuery(url, "digest", digest);
    }

    ApiResponse get(String pathOrUrl, String... headers) throws IOException {
        return send("GET", pathOrUrl, null, headers);
    }

    ApiResponse head(String pathOrUrl, String... headers) throws IOException {
        return send("HEAD", pathOrUrl, null, headers);
    }

    ApiResponse delete(String pathOrUrl, String... headers) throws IOException {
        return send("DELETE", pathOrUrl, null, headers);
    }

    ApiResponse put(String pathOrUrl, byte[] body, String... headers) throws IOException {
        return send("PUT", pathOrUrl, body == null ? new byte[0] : body, headers);
    }

    ApiResponse post(String pathOrUrl, byte[] body, String... headers) throws IOException {
        return send("POST", pathOrUrl, body == null ? new byte[0] : body, headers);
    }

    ApiResponse patch(String pathOrUrl, byte[] body, String... headers) throws IOException {
        return send("PATCH", pathOrUrl, body == null ? new byte[0] : body, headers);
    }

    /** Sends with a body of unknown length, which the client sends with chunked transfer encoding. */
    ApiResponse sendStreaming(String method, String pathOrUrl, Supplier<InputStream> body, String... headers)
            throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathOrUrl))
                .timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.ofInputStream(body));
        addHeaders(builder, headers);
        return exchange(method, pathOrUrl, builder.build());
    }

    /** {@code headers} are name, value pairs. */
    ApiResponse send(String method, String pathOrUrl, byte[] body, String... headers) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathOrUrl))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        addHeaders(builder, headers);
        HttpRequest request = builder.build();
        boolean idempotent = method.equals("GET") || method.equals("HEAD");
        try {
            return exchange(method, pathOrUrl, request);
        } catch (IOException e) {
            if (!idempotent) {
                throw e;
            }
            // a pooled connection the server had just closed: once more on a fresh one
            return exchange(method, pathOrUrl, request);
        }
    }

    private static void addHeaders(HttpRequest.Builder builder, String[] headers) {
        if (headers.length % 2 != 0) {
            throw new IllegalArgumentException("headers must be name, value pairs");
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
    }

    private ApiResponse exchange(String method, String target, HttpRequest request) throws IOException {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new ApiResponse(method, target, response.statusCode(), response.headers().map(), response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    // ---- uploads ----

    /** {@code POST /v2/<repo>/blobs/uploads/}, asserting 202; returns the response. */
    ApiResponse startUpload(String repo) throws IOException {
        ApiResponse response = post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
        assertEquals(202, response.status(), () -> "start upload: " + response);
        assertNotNull(response.header("Location"), () -> "start upload without Location: " + response);
        return response;
    }

    /** The absolute upload URL of a new session in {@code repo}. */
    String newUpload(String repo) throws IOException {
        return location(startUpload(repo));
    }

    /** The {@code Location} of a response as an absolute URL. */
    String location(ApiResponse response) {
        String location = response.header("Location");
        assertNotNull(location, () -> "no Location: " + response);
        return uri(location).toString();
    }

    /** Pushes {@code data} with POST then a monolithic PUT; asserts 201 and returns its sha256 digest. */
    String pushBlob(String repo, byte[] data) throws IOException {
        String digest = Digests.sha256(data);
        ApiResponse put = put(withDigest(newUpload(repo), digest), data, "Content-Type", "application/octet-stream");
        assertEquals(201, put.status(), () -> "blob PUT: " + put);
        return digest;
    }

    Descriptor pushBlob(String repo, byte[] data, String mediaType) throws IOException {
        return new Descriptor(mediaType, pushBlob(repo, data), data.length);
    }

    // ---- manifests ----

    ApiResponse putManifest(String repo, String reference, String mediaType, byte[] body) throws IOException {
        return put("/v2/" + repo + "/manifests/" + reference, body, "Content-Type", mediaType);
    }

    /** Pushes a manifest, asserting 201; returns the digest of its bytes. */
    String pushManifest(String repo, String reference, String mediaType, byte[] body) throws IOException {
        ApiResponse response = putManifest(repo, reference, mediaType, body);
        assertEquals(201, response.status(), () -> "manifest PUT: " + response);
        return Digests.sha256(body);
    }

    ApiResponse getManifest(String repo, String reference) throws IOException {
        return get("/v2/" + repo + "/manifests/" + reference, "Accept", ACCEPT_MANIFESTS);
    }

    ApiResponse headManifest(String repo, String reference) throws IOException {
        return head("/v2/" + repo + "/manifests/" + reference, "Accept", ACCEPT_MANIFESTS);
    }
}

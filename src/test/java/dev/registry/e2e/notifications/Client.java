package dev.registry.e2e.notifications;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Just enough of the registry API to push, pull, mount and delete, as one user and one User-Agent. */
final class Client {
    static final String USER_AGENT = "notify-e2e/1.0";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String authorization;

    /** @param user with {@code password}, sent as Basic credentials; {@code null} for none */
    Client(String base, String user, String password) {
        this.base = base;
        this.authorization = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<byte[]> send(String method, String pathOrUrl, byte[] body, String... headers)
            throws IOException, InterruptedException {
        URI uri = URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("User-Agent", USER_AGENT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> expect(int status, String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send(method, path, body, headers);
        assertEquals(status, response.statusCode(), method + " " + path + ": " + new String(response.body(), StandardCharsets.UTF_8));
        return response;
    }

    /** POST, PATCH, then PUT with the digest: the push event comes with the PUT. */
    String pushBlobInChunks(String repo, byte[] data) throws IOException, InterruptedException {
        String digest = sha256(data);
        String location = expect(202, "POST", "/v2/" + repo + "/blobs/uploads/", null)
                .headers().firstValue("Location").orElseThrow();
        location = expect(202, "PATCH", location, data, "Content-Type", "application/octet-stream")
                .headers().firstValue("Location").orElseThrow();
        expect(201, "PUT", location + (location.contains("?") ? "&" : "?") + "digest=" + digest, null);
        return digest;
    }

    /** One POST with {@code ?digest=}. */
    String pushBlobMonolithic(String repo, byte[] data) throws IOException, InterruptedException {
        String digest = sha256(data);
        expect(201, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, data,
                "Content-Type", "application/octet-stream");
        return digest;
    }

    String putManifest(String repo, String reference, byte[] manifest) throws IOException, InterruptedException {
        expect(201, "PUT", "/v2/" + repo + "/manifests/" + reference, manifest, "Content-Type", OCI_MANIFEST);
        return sha256(manifest);
    }

    /** An OCI image manifest of one config and one layer. */
    static byte[] manifest(String configDigest, int configSize, String layerDigest, int layerSize) {
        return ("""
                {"schemaVersion":2,"mediaType":"%s",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}"""
                .formatted(OCI_MANIFEST, configDigest, configSize, layerDigest, layerSize)).getBytes(StandardCharsets.UTF_8);
    }
}

package dev.registry.e2e.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Pushes small images with the plain API (an admin's or a token's Authorization), for the matrix
 * tests' fixtures: random blobs, OCI manifests over them, upload sessions.
 */
final class Content {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Content() {
    }

    /** A manifest pushed to a repository, with its two blobs. */
    record Image(String repository, String config, long configSize, String layer, long layerSize, byte[] manifest,
                 String digest) {
    }

    static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static String digest(byte[] data) {
        return "sha256:" + StorageSnapshot.sha256(data);
    }

    static String nonce() {
        return HexFormat.of().formatHex(randomBytes(6));
    }

    /** Uploads {@code data} in one {@code POST ?digest=} and returns its digest. */
    static String uploadBlob(Http http, String authorization, String repository, byte[] data) throws Exception {
        String digest = digest(data);
        Http.Response response = http.send("POST", "/v2/" + repository + "/blobs/uploads/?" + Http.query("digest", digest),
                authorization, data, "Content-Type", "application/octet-stream");
        assertEquals(201, response.status(), () -> "monolithic upload to " + repository + ": " + response);
        return digest;
    }

    /** Starts an upload session and returns its {@code Location}. */
    static String startUpload(Http http, String authorization, String repository) throws Exception {
        Http.Response response = http.send("POST", "/v2/" + repository + "/blobs/uploads/", authorization, null);
        assertEquals(202, response.status(), () -> "upload start in " + repository + ": " + response);
        String location = response.header("Location");
        assertNotNull(location, () -> "upload start has a Location: " + response);
        return http.uri(location).toString();
    }

    /** An OCI image manifest over the given config and layer. */
    static byte[] manifest(String config, long configSize, String layer, long layerSize, String annotation) {
        ObjectNode manifest = Http.JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        manifest.putObject("config").put("mediaType", OCI_CONFIG).put("digest", config).put("size", configSize);
        manifest.putArray("layers").addObject().put("mediaType", OCI_LAYER).put("digest", layer).put("size", layerSize);
        manifest.putObject("annotations").put("dev.registry.e2e.auth", annotation);
        return manifest.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code PUT} of a manifest; returns its digest. */
    static String putManifest(Http http, String authorization, String repository, String reference, byte[] manifest)
            throws Exception {
        Http.Response response = http.send("PUT", "/v2/" + repository + "/manifests/" + reference, authorization,
                manifest, "Content-Type", OCI_MANIFEST);
        assertEquals(201, response.status(), () -> "manifest put to " + repository + ":" + reference + ": " + response);
        String digest = digest(manifest);
        assertEquals(digest, response.header("Docker-Content-Digest"), () -> "digest of the pushed manifest: " + response);
        return digest;
    }

    /** Pushes a fresh image (random config and layer) tagged {@code tag}. */
    static Image pushImage(Http http, String authorization, String repository, String tag) throws Exception {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"nonce\":\"" + nonce() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = randomBytes(512);
        String configDigest = uploadBlob(http, authorization, repository, config);
        String layerDigest = uploadBlob(http, authorization, repository, layer);
        byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length, nonce());
        String digest = putManifest(http, authorization, repository, tag, manifest);
        return new Image(repository, configDigest, config.length, layerDigest, layer.length, manifest, digest);
    }
}

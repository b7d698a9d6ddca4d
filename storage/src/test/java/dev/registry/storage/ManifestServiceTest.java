package dev.registry.storage;

import dev.registry.storage.driver.filesystem.FilesystemDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.random;
import static dev.registry.storage.TestSupport.str;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestServiceTest {
    static final String REPO = "acme/app";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String EMPTY_TYPE = "application/vnd.oci.empty.v1+json";

    @TempDir
    Path root;

    Registry registry;
    ManifestService manifests;
    BlobInfo config;
    BlobInfo layer1;
    BlobInfo layer2;
    BlobInfo empty;

    @BeforeEach
    void setUp() throws IOException {
        registry = newRegistry(root);
        manifests = registry.manifests();
        config = pushBlob(registry, REPO, utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{}}"));
        layer1 = pushBlob(registry, REPO, random(3000, 1));
        layer2 = pushBlob(registry, REPO, random(5000, 2));
        empty = pushBlob(registry, REPO, utf8("{}"));
    }

    Registry newRegistry(Path root) throws IOException {
        return TestSupport.registry(root);
    }

    // ---------------------------------------------------------------- JSON helpers

    static String descriptor(String mediaType, Digest digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    static String descriptor(String mediaType, BlobInfo blob) {
        return descriptor(mediaType, blob.digest(), blob.size());
    }

    /** An image manifest; {@code mediaType} null leaves the field out; {@code extra} is appended raw. */
    static String image(String mediaType, String configDescriptor, List<String> layers, String extra) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2");
        if (mediaType != null) {
            sb.append(",\"mediaType\":\"").append(mediaType).append('"');
        }
        sb.append(",\"config\":").append(configDescriptor);
        sb.append(",\"layers\":[").append(String.join(",", layers)).append(']');
        if (extra != null) {
            sb.append(',').append(extra);
        }
        return sb.append('}').toString();
    }

    String oci() {
        return image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer1), descriptor(OCI_LAYER, layer2)), null);
    }

    String docker() {
        return image(MediaTypes.DOCKER_MANIFEST, descriptor(DOCKER_CONFIG, config),
                List.of(descriptor(DOCKER_LAYER, layer1)), null);
    }

    static String index(String mediaType, List<String> children, String extra) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2");
        if (mediaType != null) {
            sb.append(",\"mediaType\":\"").append(mediaType).append('"');
        }
        sb.append(",\"manifests\":[").append(String.join(",", children)).append(']');
        if (extra != null) {
            sb.append(',').append(extra);
        }
        return sb.append('}').toString();
    }

    /** An artifact manifest referring to {@code subject}. */
    String artifact(Digest subject, long subjectSize, String artifactType, String configType, String annotations) {
        StringBuilder extra = new StringBuilder("\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, subjectSize));
        if (artifactType != null) {
            extra.append(",\"artifactType\":\"").append(artifactType).append('"');
        }
        if (annotations != null) {
            extra.append(",\"annotations\":").append(annotations);
        }
        return image(MediaTypes.OCI_MANIFEST, descriptor(configType, empty), List.of(descriptor(EMPTY_TYPE, empty)),
                extra.toString());
    }

    Path file(String storagePath) {
        return root.resolve(storagePath.substring(1));
    }

    // ---------------------------------------------------------------- put / get

    @Test
    void putByTagThenGetByTagAndDigest() throws IOException {
        byte[] content = utf8(oci());
        ManifestService.PutResult result = manifests.put(REPO, "v1", MediaTypes.OCI_MANIFEST, content);
        Digest digest = Digest.sha256(content);
        assertEquals(digest, result.digest());
        assertEquals(Optional.empty(), result.subject());

        ManifestService.StoredManifest byTag = manifests.get(REPO, "v1");
        assertArrayEquals(content, byTag.content());
        assertEquals(digest, byTag.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());

        ManifestService.StoredManifest byDigest = manifests.get(REPO, digest.toString());
        assertArrayEquals(content, byDigest.content());
        assertEquals(MediaTypes.OCI_MANIFEST, byDigest.mediaType());

        // distribution's layout on disk, link files without newline
        assertArrayEquals(content, Files.readAllBytes(file(PathLayout.blobData(digest))));
        assertEquals(digest.toString(), Files.readString(file(PathLayout.manifestRevisionLink(REPO, digest))));
        assertEquals(digest.toString(), Files.readString(file(PathLayout.tagCurrentLink(REPO, "v1"))));
        assertEquals(digest.toString(), Files.readString(file(PathLayout.tagIndexLink(REPO, "v1", digest))));
        assertEquals(List.of("v1"), registry.tags().list(REPO));
    }

    @Test
    void putByDigestCreatesNoTag() throws IOException {
        byte[] content = utf8(docker());
        Digest digest = Digest.sha256(content);
        assertEquals(digest, manifests.put(REPO, digest.toString(), MediaTypes.DOCKER_MANIFEST, content).digest());
        ManifestService.StoredManifest stored = manifests.get(REPO, digest.toString());
        assertArrayEquals(content, stored.content());
        assertEquals(MediaTypes.DOCKER_MANIFEST, stored.mediaType());
        assertEquals(List.of(), registry.tags().list(REPO));
    }

    @Test
    void putBySha512Digest() throws IOException {
        byte[] content = utf8(oci());
        Digest digest = Digest.of("sha512", content);
        assertEquals(digest, manifests.put(REPO, digest.toString(), MediaTypes.OCI_MANIFEST, content).digest());
        assertArrayEquals(content, manifests.get(REPO, digest.toString()).content());
        assertTrue(Files.exists(file(PathLayout.manifestRevisionLink(REPO, digest))));
    }

    @Test
    void bytesAreStoredExactlyAsSent() throws IOException {
        String pretty = "{\n  \"layers\" : [ " + descriptor(OCI_LAYER, layer1) + " ],\n"
                + "  \"schemaVersion\": 2,   \"config\":" + descriptor(OCI_CONFIG, config)
                + ",\n\t\"mediaType\": \"" + MediaTypes.OCI_MANIFEST + "\",\"x-unknown\":[1,2,{\"é\":null}]\n}\n";
        byte[] content = utf8(pretty);
        manifests.put(REPO, "pretty", MediaTypes.OCI_MANIFEST, content);
        ManifestService.StoredManifest stored = manifests.get(REPO, "pretty");
        assertArrayEquals(content, stored.content());
        assertEquals(Digest.sha256(content), stored.digest());
        // and after a restart (no cache)
        assertArrayEquals(content, TestSupport.registry(root).manifests().get(REPO, "pretty").content());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/octet-stream", "",
            "application/vnd.oci.image.manifest.v1+json; charset=utf-8", "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON"})
    void genericOrParameterisedContentTypesAreAccepted(String contentType) throws IOException {
        manifests.put(REPO, "t", contentType, utf8(oci()));
        assertEquals(MediaTypes.OCI_MANIFEST, manifests.get(REPO, "t").mediaType());
    }

    @Test
    void nullContentTypeIsAccepted() throws IOException {
        manifests.put(REPO, "t", null, utf8(docker()));
        assertEquals(MediaTypes.DOCKER_MANIFEST, manifests.get(REPO, "t").mediaType());
    }

    @Test
    void ociManifestWithoutMediaTypeFieldTakesContentType() throws IOException {
        byte[] content = utf8(image(null, descriptor(OCI_CONFIG, config), List.of(descriptor(OCI_LAYER, layer1)), null));
        manifests.put(REPO, "a", MediaTypes.OCI_MANIFEST, content);
        assertEquals(MediaTypes.OCI_MANIFEST, manifests.get(REPO, "a").mediaType());
        assertEquals(MediaTypes.OCI_MANIFEST, TestSupport.registry(root).manifests().get(REPO, "a").mediaType());
    }

    @Test
    void ociManifestWithoutMediaTypeFieldOrContentTypeTakesShape() throws IOException {
        byte[] content = utf8(image(null, descriptor(OCI_CONFIG, config), List.of(descriptor(OCI_LAYER, layer1)), null));
        manifests.put(REPO, "a", "application/json", content);
        assertEquals(MediaTypes.OCI_MANIFEST, manifests.get(REPO, "a").mediaType());

        byte[] child = utf8(oci());
        manifests.put(REPO, Digest.sha256(child).toString(), null, child);
        byte[] idx = utf8(index(null, List.of(descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(child), child.length)), null));
        manifests.put(REPO, "idx", null, idx);
        assertEquals(MediaTypes.OCI_INDEX, manifests.get(REPO, "idx").mediaType());
        assertEquals(MediaTypes.OCI_INDEX, TestSupport.registry(root).manifests().get(REPO, "idx").mediaType());
    }

    /**
     * The media type served for a stored manifest must not depend on whether this process still
     * has the push in its cache: a manifest without a mediaType field pushed as a Docker manifest
     * must either be refused (as distribution does) or be served as the same type after a restart.
     */
    @Test
    void mediaTypeOfManifestWithoutFieldIsStableAcrossRestart() throws IOException {
        byte[] content = utf8(image(null, descriptor(DOCKER_CONFIG, config), List.of(descriptor(DOCKER_LAYER, layer1)), null));
        try {
            manifests.put(REPO, "d", MediaTypes.DOCKER_MANIFEST, content);
        } catch (RegistryException refused) {
            assertEquals(ErrorCode.MANIFEST_INVALID, refused.code());
            return;
        }
        String before = manifests.get(REPO, "d").mediaType();
        String after = TestSupport.registry(root).manifests().get(REPO, "d").mediaType();
        assertEquals(before, after, "served media type changed across a restart");
    }

    @Test
    void retagMovesTheTag() throws IOException {
        byte[] first = utf8(oci());
        byte[] second = utf8(docker());
        manifests.put(REPO, "latest", MediaTypes.OCI_MANIFEST, first);
        manifests.put(REPO, "latest", MediaTypes.DOCKER_MANIFEST, second);
        assertArrayEquals(second, manifests.get(REPO, "latest").content());
        // the first manifest stays reachable by digest
        assertArrayEquals(first, manifests.get(REPO, Digest.sha256(first).toString()).content());
        assertEquals(List.of("latest"), registry.tags().list(REPO));
    }

    @Test
    void samePushTwiceIsIdempotent() throws IOException {
        byte[] content = utf8(oci());
        Digest d1 = manifests.put(REPO, "a", MediaTypes.OCI_MANIFEST, content).digest();
        Digest d2 = manifests.put(REPO, "a", MediaTypes.OCI_MANIFEST, content).digest();
        assertEquals(d1, d2);
        assertArrayEquals(content, manifests.get(REPO, "a").content());
    }

    @Test
    void foreignLayersWithUrlsNeedNotBeStored() throws IOException {
        Digest foreign = Digest.sha256(utf8("windows base layer"));
        String layer = "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\""
                + foreign + "\",\"size\":123456,\"urls\":[\"https://example.com/layer\"]}";
        byte[] content = utf8(image(MediaTypes.DOCKER_MANIFEST, descriptor(DOCKER_CONFIG, config),
                List.of(layer, descriptor(DOCKER_LAYER, layer1)), null));
        manifests.put(REPO, "win", MediaTypes.DOCKER_MANIFEST, content);
        assertArrayEquals(content, manifests.get(REPO, "win").content());
    }

    @Test
    void indexWithPresentChildren() throws IOException {
        byte[] a = utf8(oci());
        byte[] b = utf8(docker());
        manifests.put(REPO, Digest.sha256(a).toString(), MediaTypes.OCI_MANIFEST, a);
        manifests.put(REPO, Digest.sha256(b).toString(), MediaTypes.DOCKER_MANIFEST, b);
        byte[] idx = utf8(index(MediaTypes.OCI_INDEX, List.of(
                descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(a), a.length),
                descriptor(MediaTypes.DOCKER_MANIFEST, Digest.sha256(b), b.length)), null));
        manifests.put(REPO, "multi", MediaTypes.OCI_INDEX, idx);
        ManifestService.StoredManifest stored = manifests.get(REPO, "multi");
        assertArrayEquals(idx, stored.content());
        assertEquals(MediaTypes.OCI_INDEX, stored.mediaType());

        byte[] list = utf8(index(MediaTypes.DOCKER_MANIFEST_LIST, List.of(
                descriptor(MediaTypes.DOCKER_MANIFEST, Digest.sha256(b), b.length)), null));
        manifests.put(REPO, "list", MediaTypes.DOCKER_MANIFEST_LIST, list);
        assertEquals(MediaTypes.DOCKER_MANIFEST_LIST, manifests.get(REPO, "list").mediaType());
    }

    // ---------------------------------------------------------------- refused pushes

    private void assertNothingStored(byte[] content, String tag) throws IOException {
        Digest digest = Digest.sha256(content);
        assertFalse(Files.exists(file(PathLayout.manifestRevisionDirectory(REPO, digest))));
        assertTrue(registry.blobs().statGlobal(digest).isEmpty());
        assertFalse(Files.exists(file(PathLayout.tagDirectory(REPO, tag))));
    }

    @Test
    void missingBlobIsManifestBlobUnknown() throws IOException {
        Digest missing = Digest.sha256(utf8("never uploaded"));
        byte[] content = utf8(image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, missing, 14)), null));
        RegistryException e = assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                () -> manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, content));
        assertEquals(400, e.status());
        assertEquals(Map.of("digest", missing.toString()), e.detail());
        assertNothingStored(content, "x");
    }

    @Test
    void missingConfigIsManifestBlobUnknown() throws IOException {
        Digest missing = Digest.sha256(utf8("no config"));
        byte[] content = utf8(image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, missing, 9),
                List.of(descriptor(OCI_LAYER, layer1)), null));
        assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN, () -> manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, content));
        assertNothingStored(content, "x");
    }

    @Test
    void blobLinkedOnlyInAnotherRepositoryIsManifestBlobUnknown() throws IOException {
        BlobInfo elsewhere = pushBlob(registry, "other/repo", random(777, 42));
        byte[] content = utf8(image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, elsewhere)), null));
        assertTrue(registry.blobs().statGlobal(elsewhere.digest()).isPresent());
        assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN, () -> manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, content));
        // after a cross-repository mount it is accepted
        assertEquals(Optional.of(elsewhere), registry.blobs().mount("other/repo", REPO, elsewhere.digest()));
        manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, content);
        assertArrayEquals(content, manifests.get(REPO, "x").content());
    }

    @Test
    void manifestOfAnotherRepositoryIsNotVisible() throws IOException {
        byte[] content = utf8(oci());
        Digest digest = manifests.put(REPO, "v1", MediaTypes.OCI_MANIFEST, content).digest();
        pushBlob(registry, "other/repo", utf8("x"));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get("other/repo", digest.toString()));
        // nor can an index in another repository reference it
        byte[] idx = utf8(index(MediaTypes.OCI_INDEX, List.of(descriptor(MediaTypes.OCI_MANIFEST, digest, content.length)), null));
        assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN, () -> manifests.put("other/repo", "i", MediaTypes.OCI_INDEX, idx));
    }

    @Test
    void sizeMismatchIsManifestInvalid() throws IOException {
        byte[] content = utf8(image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer1.digest(), layer1.size() + 1)), null));
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, content));
        assertNothingStored(content, "x");
    }

    @Test
    void indexWithMissingChildIsManifestBlobUnknown() throws IOException {
        byte[] child = utf8(oci());
        // the child's bytes even exist as a blob (a layer, say) but it is no manifest revision here
        byte[] idx = utf8(index(MediaTypes.OCI_INDEX, List.of(
                descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(child), child.length)), null));
        assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN, () -> manifests.put(REPO, "i", MediaTypes.OCI_INDEX, idx));
        byte[] idx2 = utf8(index(MediaTypes.OCI_INDEX, List.of(descriptor(MediaTypes.OCI_MANIFEST, layer1)), null));
        assertRegistryError(ErrorCode.MANIFEST_BLOB_UNKNOWN, () -> manifests.put(REPO, "i", MediaTypes.OCI_INDEX, idx2));
        assertNothingStored(idx, "i");
    }

    static List<String> invalidManifests() {
        String cfg = "{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":2}";
        return List.of(
                "",
                "not json",
                "{",
                "[]",
                "null",
                "42",
                "\"string\"",
                "{ }", // (not "{}": that is the empty-config blob pushed in setUp)
                "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}",
                "{\"schemaVersion\":\"2\",\"config\":" + cfg + ",\"layers\":[]}",
                "{\"schemaVersion\":2.0,\"config\":" + cfg + ",\"layers\":[]}",
                "{\"schemaVersion\":3,\"config\":" + cfg + ",\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.unknown\",\"config\":" + cfg + "}",
                "{\"schemaVersion\":2,\"mediaType\":5,\"config\":" + cfg + "}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"layers\":{}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"size\":2}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":null,\"size\":2}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:abc\",\"size\":2}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "A".repeat(64) + "\",\"size\":2}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":2}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64) + "\"}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":-1}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":1.5}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":\"2\"}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"manifests\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"annotations\":{\"a\":1}}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"annotations\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"subject\":\"sha256:x\"}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + cfg + ",\"artifactType\":7}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":" + cfg + "}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\"}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[],\"config\":" + cfg + "}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\"x\",\"size\":1}]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[\"sha256:" + "a".repeat(64) + "\"]}",
                "{\"schemaVersion\":2,\"config\":" + cfg + ",\"manifests\":[]}");
    }

    @Test
    void invalidManifestsAreManifestInvalid() throws IOException {
        for (String manifest : invalidManifests()) {
            byte[] content = utf8(manifest);
            RegistryException e = assertThrowsRegistry(() -> manifests.put(REPO, "bad", null, content), manifest);
            assertEquals(ErrorCode.MANIFEST_INVALID, e.code(), () -> manifest + " -> " + e.getMessage());
            assertEquals(400, e.status());
            assertNothingStored(content, "bad");
        }
    }

    private static RegistryException assertThrowsRegistry(org.junit.jupiter.api.function.Executable executable, String what) {
        return org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class, executable, what);
    }

    @Test
    void schemaVersion1IsRefusedEvenWithItsMediaType() {
        byte[] content = utf8("{\"schemaVersion\":1,\"name\":\"acme/app\",\"tag\":\"v1\",\"architecture\":\"amd64\","
                + "\"fsLayers\":[],\"history\":[],\"signatures\":[]}");
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> manifests.put(REPO, "v1",
                "application/vnd.docker.distribution.manifest.v1+prettyjws", content));
    }

    @Test
    void mediaTypeFieldMustAgreeWithContentType() throws IOException {
        byte[] content = utf8(oci());
        assertRegistryError(ErrorCode.MANIFEST_INVALID,
                () -> manifests.put(REPO, "x", MediaTypes.DOCKER_MANIFEST, content));
        assertRegistryError(ErrorCode.MANIFEST_INVALID,
                () -> manifests.put(REPO, "x", MediaTypes.OCI_INDEX, content));
        assertNothingStored(content, "x");
        byte[] dockerContent = utf8(docker());
        assertRegistryError(ErrorCode.MANIFEST_INVALID,
                () -> manifests.put(REPO, "x", MediaTypes.OCI_MANIFEST, dockerContent));
    }

    @Test
    void contentTypeOfAnotherKindThanTheShapeIsRefused() {
        // no mediaType field: the Content-Type decides, and an index cannot have config/layers
        byte[] content = utf8(image(null, descriptor(OCI_CONFIG, config), List.of(descriptor(OCI_LAYER, layer1)), null));
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> manifests.put(REPO, "x", MediaTypes.OCI_INDEX, content));
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> manifests.put(REPO, "x", "text/plain", content));
    }

    @Test
    void digestReferenceMismatchIsDigestInvalid() throws IOException {
        byte[] content = utf8(oci());
        Digest other = Digest.sha256(utf8(docker()));
        RegistryException e = assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> manifests.put(REPO, other.toString(), MediaTypes.OCI_MANIFEST, content));
        assertEquals(Map.of("expected", other.toString(), "actual", Digest.sha256(content).toString()), e.detail());
        assertNothingStored(content, "x");
        assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> manifests.put(REPO, "sha256:1234", MediaTypes.OCI_MANIFEST, content));
        assertRegistryError(ErrorCode.DIGEST_INVALID,
                () -> manifests.put(REPO, "md5:d41d8cd98f00b204e9800998ecf8427e", MediaTypes.OCI_MANIFEST, content));
        assertRegistryError(ErrorCode.DIGEST_INVALID, () -> manifests.put(REPO,
                "sha512:" + Digest.sha256(content).hex(), MediaTypes.OCI_MANIFEST, content));
    }

    @Test
    void invalidTagReferenceIsTagInvalid() throws IOException {
        byte[] content = utf8(oci());
        assertRegistryError(ErrorCode.TAG_INVALID, () -> manifests.put(REPO, ".hidden", MediaTypes.OCI_MANIFEST, content));
        assertRegistryError(ErrorCode.TAG_INVALID, () -> manifests.put(REPO, "a".repeat(129), MediaTypes.OCI_MANIFEST, content));
        assertRegistryError(ErrorCode.TAG_INVALID, () -> manifests.put(REPO, "../../x", MediaTypes.OCI_MANIFEST, content));
        assertNothingStored(content, ".hidden");
    }

    @Test
    void oversizedManifestIs413() throws IOException {
        byte[] content = new byte[ManifestService.MAX_MANIFEST_BYTES + 1];
        Arrays.fill(content, (byte) ' ');
        RegistryException e = assertRegistryError(ErrorCode.MANIFEST_INVALID,
                () -> manifests.put(REPO, "big", MediaTypes.OCI_MANIFEST, content));
        assertEquals(413, e.status());
        assertEquals(4 * 1024 * 1024, ManifestService.MAX_MANIFEST_BYTES);
        assertNothingStored(content, "big");
    }

    @Test
    void manifestOfExactly4MiBIsAccepted() throws IOException {
        String template = image(MediaTypes.OCI_MANIFEST, descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer1)), "\"annotations\":{\"pad\":\"PAD\"}");
        int padding = ManifestService.MAX_MANIFEST_BYTES - (utf8(template).length - 3);
        byte[] content = utf8(template.replace("PAD", "x".repeat(padding)));
        assertEquals(ManifestService.MAX_MANIFEST_BYTES, content.length);
        manifests.put(REPO, "huge", MediaTypes.OCI_MANIFEST, content);
        assertArrayEquals(content, manifests.get(REPO, "huge").content());
    }

    // ---------------------------------------------------------------- get errors

    @Test
    void unknownRepositoryIsNameUnknownAndUnknownManifestIsManifestUnknown() throws IOException {
        Digest nothing = Digest.sha256(utf8("nothing"));
        RegistryException e = assertRegistryError(ErrorCode.NAME_UNKNOWN, () -> manifests.get("no/such/repo", "latest"));
        assertEquals(404, e.status());
        assertRegistryError(ErrorCode.NAME_UNKNOWN, () -> manifests.get("no/such/repo", nothing.toString()));

        RegistryException m = assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, "latest"));
        assertEquals(404, m.status());
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, nothing.toString()));
        // a blob (not a manifest) of the repository is no manifest
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, layer1.digest().toString()));
    }

    @Test
    void getWithInvalidReference() {
        assertRegistryError(ErrorCode.DIGEST_INVALID, () -> manifests.get(REPO, "sha256:zz"));
        assertRegistryError(ErrorCode.TAG_INVALID, () -> manifests.get(REPO, "-bad"));
    }

    // ---------------------------------------------------------------- delete

    @Test
    void deleteByDigestRemovesRevisionTagsAndReferrer() throws IOException {
        byte[] subject = utf8(oci());
        Digest subjectDigest = manifests.put(REPO, "base", MediaTypes.OCI_MANIFEST, subject).digest();
        byte[] sig = utf8(artifact(subjectDigest, subject.length, "application/vnd.example.sig", EMPTY_TYPE, null));
        ManifestService.PutResult put = manifests.put(REPO, "sig-1", MediaTypes.OCI_MANIFEST, sig);
        manifests.put(REPO, "sig-2", MediaTypes.OCI_MANIFEST, sig);
        assertEquals(Optional.of(subjectDigest), put.subject());
        assertEquals(1, manifests.referrers(REPO, subjectDigest, null).size());

        manifests.delete(REPO, put.digest().toString());

        assertEquals(List.of("base"), registry.tags().list(REPO));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, put.digest().toString()));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, "sig-1"));
        assertFalse(Files.exists(file(PathLayout.manifestRevisionDirectory(REPO, put.digest()))));
        assertFalse(Files.exists(file(PathLayout.referrerLink(REPO, subjectDigest, put.digest()))));
        assertFalse(Files.exists(file(PathLayout.referrerLink(REPO, subjectDigest, put.digest())).getParent()));
        assertEquals(List.of(), manifests.referrers(REPO, subjectDigest, null));
        // the subject is untouched
        assertArrayEquals(subject, manifests.get(REPO, "base").content());
        // deleting again is MANIFEST_UNKNOWN
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.delete(REPO, put.digest().toString()));
    }

    @Test
    void deleteByDigestAfterRestartStillRemovesReferrer() throws IOException {
        byte[] subject = utf8(oci());
        Digest subjectDigest = manifests.put(REPO, "base", MediaTypes.OCI_MANIFEST, subject).digest();
        byte[] sig = utf8(artifact(subjectDigest, subject.length, "application/vnd.example.sig", EMPTY_TYPE, null));
        Digest sigDigest = manifests.put(REPO, "sig", MediaTypes.OCI_MANIFEST, sig).digest();
        ManifestService fresh = TestSupport.registry(root).manifests();
        fresh.delete(REPO, sigDigest.toString());
        assertFalse(Files.exists(file(PathLayout.referrerLink(REPO, subjectDigest, sigDigest))));
        assertEquals(List.of(), fresh.referrers(REPO, subjectDigest, null));
        assertEquals(List.of("base"), registry.tags().list(REPO));
    }

    @Test
    void deleteByTagKeepsTheManifest() throws IOException {
        byte[] content = utf8(oci());
        Digest digest = manifests.put(REPO, "v1", MediaTypes.OCI_MANIFEST, content).digest();
        manifests.put(REPO, "v2", MediaTypes.OCI_MANIFEST, content);
        manifests.delete(REPO, "v1");
        assertEquals(List.of("v2"), registry.tags().list(REPO));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, "v1"));
        assertArrayEquals(content, manifests.get(REPO, digest.toString()).content());
        assertArrayEquals(content, manifests.get(REPO, "v2").content());
        assertFalse(Files.exists(file(PathLayout.tagDirectory(REPO, "v1"))));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.delete(REPO, "v1"));
    }

    @Test
    void tagWithIndexEntryButNoCurrentLinkIsNotListedAndIsManifestUnknown() throws IOException {
        byte[] content = utf8(oci());
        Digest digest = manifests.put(REPO, "v1", MediaTypes.OCI_MANIFEST, content).digest();
        // what a crash between a tag's index entry and its current link leaves behind
        Files.delete(file(PathLayout.tagCurrentLink(REPO, "v1")));
        Files.delete(file(PathLayout.tagCurrentLink(REPO, "v1")).getParent());
        assertTrue(Files.exists(file(PathLayout.tagIndexLink(REPO, "v1", digest))));
        manifests.put(REPO, "v2", MediaTypes.OCI_MANIFEST, content);

        assertEquals(List.of("v2"), registry.tags().list(REPO));
        RegistryException e = assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, "v1"));
        assertEquals(404, e.status());
        assertArrayEquals(content, manifests.get(REPO, "v2").content());
        // deleting the manifest by digest removes its resolvable tags; the half-written one stays unlisted
        manifests.delete(REPO, digest.toString());
        assertEquals(List.of(), registry.tags().list(REPO));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(REPO, "v1"));
    }

    @Test
    void deleteUnknown() throws IOException {
        Digest nothing = Digest.sha256(utf8("nothing"));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.delete(REPO, "nope"));
        assertRegistryError(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.delete(REPO, nothing.toString()));
        assertRegistryError(ErrorCode.NAME_UNKNOWN, () -> manifests.delete("no/such", "nope"));
        assertRegistryError(ErrorCode.NAME_UNKNOWN, () -> manifests.delete("no/such", nothing.toString()));
        assertRegistryError(ErrorCode.DIGEST_INVALID, () -> manifests.delete(REPO, "sha256:abc"));
        assertRegistryError(ErrorCode.TAG_INVALID, () -> manifests.delete(REPO, "-x"));
    }

    @Test
    void deleteDisabledIsUnsupported() throws IOException {
        byte[] content = utf8(oci());
        Digest digest = manifests.put(REPO, "v1", MediaTypes.OCI_MANIFEST, content).digest();
        Registry readOnly = new Registry(new FilesystemDriver(root), false, Clock.systemUTC());
        assertFalse(readOnly.deleteEnabled());
        assertTrue(registry.deleteEnabled());
        RegistryException e = assertRegistryError(ErrorCode.UNSUPPORTED,
                () -> readOnly.manifests().delete(REPO, digest.toString()));
        assertEquals(405, e.status());
        assertRegistryError(ErrorCode.UNSUPPORTED, () -> readOnly.manifests().delete(REPO, "v1"));
        assertArrayEquals(content, readOnly.manifests().get(REPO, "v1").content());
        assertArrayEquals(content, manifests.get(REPO, digest.toString()).content());
    }

    // ---------------------------------------------------------------- referrers

    @Test
    void referrersListingWithArtifactTypesAnnotationsAndFilter() throws IOException {
        byte[] subject = utf8(oci());
        Digest subjectDigest = manifests.put(REPO, "base", MediaTypes.OCI_MANIFEST, subject).digest();

        byte[] sig = utf8(artifact(subjectDigest, subject.length, "application/vnd.example.sig", EMPTY_TYPE,
                "{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\",\"k\":\"v\"}"));
        byte[] sbom = utf8(artifact(subjectDigest, subject.length, null, "application/vnd.example.sbom", null));
        byte[] idx = utf8(index(MediaTypes.OCI_INDEX, List.of(descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(sig), sig.length)),
                "\"artifactType\":\"application/vnd.example.bundle\",\"subject\":"
                        + descriptor(MediaTypes.OCI_MANIFEST, subjectDigest, subject.length)));
        byte[] unrelated = utf8(artifact(Digest.sha256(utf8("other subject")), 13, "application/vnd.example.sig", EMPTY_TYPE, null));

        assertEquals(Optional.of(subjectDigest), manifests.put(REPO, Digest.sha256(sig).toString(), null, sig).subject());
        manifests.put(REPO, Digest.sha256(sbom).toString(), MediaTypes.OCI_MANIFEST, sbom);
        manifests.put(REPO, Digest.sha256(idx).toString(), MediaTypes.OCI_INDEX, idx);
        manifests.put(REPO, Digest.sha256(unrelated).toString(), MediaTypes.OCI_MANIFEST, unrelated);

        List<Referrer> all = manifests.referrers(REPO, subjectDigest, null);
        List<Referrer> expected = new ArrayList<>(List.of(
                new Referrer(MediaTypes.OCI_MANIFEST, Digest.sha256(sig), sig.length, "application/vnd.example.sig",
                        Map.of("org.opencontainers.image.created", "2024-01-01T00:00:00Z", "k", "v")),
                new Referrer(MediaTypes.OCI_MANIFEST, Digest.sha256(sbom), sbom.length, "application/vnd.example.sbom", Map.of()),
                new Referrer(MediaTypes.OCI_INDEX, Digest.sha256(idx), idx.length, "application/vnd.example.bundle", Map.of())));
        expected.sort(java.util.Comparator.comparing(r -> r.digest().toString()));
        assertEquals(expected, all);

        assertEquals(List.of(expected.stream().filter(r -> r.digest().equals(Digest.sha256(sbom))).findFirst().orElseThrow()),
                manifests.referrers(REPO, subjectDigest, "application/vnd.example.sbom"));
        List<Referrer> sigs = manifests.referrers(REPO, subjectDigest, "application/vnd.example.sig");
        assertEquals(1, sigs.size());
        assertEquals(Digest.sha256(sig), sigs.get(0).digest());
        assertEquals(List.of(), manifests.referrers(REPO, subjectDigest, "application/vnd.example.none"));

        // the same answer from a fresh instance that parses the stored bytes
        assertEquals(all, TestSupport.registry(root).manifests().referrers(REPO, subjectDigest, null));

        // on disk: distribution-ignored _referrers index
        assertEquals(Digest.sha256(sig).toString(),
                Files.readString(file(PathLayout.referrerLink(REPO, subjectDigest, Digest.sha256(sig)))));
    }

    @Test
    void referrersOfUnknownSubjectOrOtherRepositoryAreEmpty() throws IOException {
        byte[] subject = utf8(oci());
        Digest subjectDigest = Digest.sha256(subject);
        // a referrer may be pushed before its subject exists
        byte[] sig = utf8(artifact(subjectDigest, subject.length, "application/vnd.example.sig", EMPTY_TYPE, null));
        manifests.put(REPO, "sig", MediaTypes.OCI_MANIFEST, sig);
        assertEquals(1, manifests.referrers(REPO, subjectDigest, null).size());
        assertEquals(List.of(), manifests.referrers(REPO, Digest.sha256(utf8("x")), null));
        pushBlob(registry, "other", utf8("y"));
        assertEquals(List.of(), manifests.referrers("other", subjectDigest, null));
        assertEquals(List.of(), manifests.referrers("never/seen", subjectDigest, null));
    }

    @Test
    void referrerWithNoArtifactTypeAnywhereIsNull() throws IOException {
        byte[] subject = utf8(oci());
        Digest subjectDigest = manifests.put(REPO, "base", MediaTypes.OCI_MANIFEST, subject).digest();
        byte[] idx = utf8(index(MediaTypes.OCI_INDEX, List.of(descriptor(MediaTypes.OCI_MANIFEST, subjectDigest, subject.length)),
                "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subjectDigest, subject.length)));
        manifests.put(REPO, "i", MediaTypes.OCI_INDEX, idx);
        List<Referrer> referrers = manifests.referrers(REPO, subjectDigest, null);
        assertEquals(1, referrers.size());
        assertNull(referrers.get(0).artifactType());
        assertEquals(Map.of(), referrers.get(0).annotations());
    }

    // ---------------------------------------------------------------- interop with distribution's tree

    @Test
    void readsATreeWrittenByDistribution() throws IOException {
        // lay files out by hand exactly as registry:2 does, without using PathLayout
        byte[] manifest = utf8(oci());
        Digest digest = Digest.sha256(manifest);
        String hex = digest.hex();
        Path v2 = root.resolve("docker/registry/v2");
        Path blob = v2.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
        Files.createDirectories(blob.getParent());
        Files.write(blob, manifest);
        Path repo = v2.resolve("repositories/library/hello-world/_manifests");
        Files.createDirectories(repo.resolve("revisions/sha256/" + hex));
        Files.writeString(repo.resolve("revisions/sha256/" + hex + "/link"), "sha256:" + hex);
        Files.createDirectories(repo.resolve("tags/latest/current"));
        Files.writeString(repo.resolve("tags/latest/current/link"), "sha256:" + hex);
        Files.createDirectories(repo.resolve("tags/latest/index/sha256/" + hex));
        Files.writeString(repo.resolve("tags/latest/index/sha256/" + hex + "/link"), "sha256:" + hex);

        Registry fresh = TestSupport.registry(root);
        ManifestService.StoredManifest stored = fresh.manifests().get("library/hello-world", "latest");
        assertArrayEquals(manifest, stored.content());
        assertEquals(digest, stored.digest());
        assertEquals(List.of("latest"), fresh.tags().list("library/hello-world"));
        assertTrue(fresh.catalog().repositories(100, null).items().contains("library/hello-world"));
        assertEquals(str(manifest), str(fresh.manifests().get("library/hello-world", digest.toString()).content()));
    }
}

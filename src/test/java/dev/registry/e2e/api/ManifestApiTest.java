package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-3, end-7, end-9: pushing, pulling and deleting manifests of every supported type. */
class ManifestApiTest extends ApiTestBase {

    /** PUTs, asserts the 201 answer, and checks GET and HEAD by tag and by digest. */
    private String pushAndVerify(String repo, String tag, String mediaType, byte[] body) throws Exception {
        String digest = Digests.sha256(body);
        ApiResponse put = client.putManifest(repo, tag, mediaType, body);
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        String location = client.location(put);
        ApiResponse viaLocation = client.get(location, "Accept", RegistryClient.ACCEPT_MANIFESTS);
        assertStatus(200, viaLocation);
        assertBody(body, viaLocation);
        assertStoredExactly(repo, tag, mediaType, body);
        assertStoredExactly(repo, digest, mediaType, body);
        return digest;
    }

    private void assertStoredExactly(String repo, String reference, String mediaType, byte[] body) throws Exception {
        String digest = Digests.sha256(body);
        ApiResponse get = client.getManifest(repo, reference);
        assertStatus(200, get);
        assertBody(body, get);
        assertEquals(mediaType, get.mediaType(), () -> "Content-Type of " + get);
        assertHeader(digest, get, "Docker-Content-Digest");
        assertHeader(String.valueOf(body.length), get, "Content-Length");

        ApiResponse head = client.headManifest(repo, reference);
        assertStatus(200, head);
        assertEquals(0, head.body().length);
        assertEquals(mediaType, head.mediaType(), () -> "Content-Type of " + head);
        assertHeader(digest, head, "Docker-Content-Digest");
        assertHeader(String.valueOf(body.length), head, "Content-Length");
    }

    private Descriptor pushDockerImage(String repo, String reference) throws Exception {
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.DOCKER_CONFIG);
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(200), Manifests.DOCKER_LAYER);
        byte[] manifest = Manifests.dockerManifest(config, List.of(layer));
        client.pushManifest(repo, reference == null ? Digests.sha256(manifest) : reference,
                Manifests.DOCKER_MANIFEST, manifest);
        return Descriptor.of(Manifests.DOCKER_MANIFEST, manifest);
    }

    @Test
    void dockerSchema2Manifest() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.DOCKER_CONFIG);
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(200), Manifests.DOCKER_LAYER);
        byte[] manifest = Manifests.dockerManifest(config, List.of(layer));
        pushAndVerify(repo, "latest", Manifests.DOCKER_MANIFEST, manifest);
    }

    @Test
    void dockerManifestList() throws Exception {
        String repo = repo("man");
        Descriptor amd64 = pushDockerImage(repo, null);
        Descriptor arm64 = pushDockerImage(repo, null);
        byte[] list = Manifests.dockerList(List.of(amd64, arm64));
        pushAndVerify(repo, "multi", Manifests.DOCKER_LIST, list);
    }

    @Test
    void ociImageManifest() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(200), Manifests.OCI_LAYER);
        byte[] manifest = Manifests.ociManifest(config, List.of(layer), null, null,
                Map.of("org.opencontainers.image.title", "test"));
        pushAndVerify(repo, "v1", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void ociImageManifestWithoutLayers() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        pushAndVerify(repo, "nolayers", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void ociImageIndex() throws Exception {
        String repo = repo("man");
        Image a = pushImage(repo, null);
        Image b = pushImage(repo, null);
        byte[] index = Manifests.ociIndex(List.of(a.descriptor(), b.descriptor()), null, null, null);
        pushAndVerify(repo, "index", Manifests.OCI_INDEX, index);
    }

    @Test
    void ociIndexOfIndexes() throws Exception {
        String repo = repo("man");
        Image a = pushImage(repo, null);
        byte[] inner = Manifests.ociIndex(List.of(a.descriptor()), null, null, null);
        client.pushManifest(repo, Digests.sha256(inner), Manifests.OCI_INDEX, inner);
        byte[] outer = Manifests.ociIndex(List.of(Descriptor.of(Manifests.OCI_INDEX, inner)), null, null, null);
        pushAndVerify(repo, "nested", Manifests.OCI_INDEX, outer);
    }

    @Test
    void ociArtifactWithEmptyConfig() throws Exception {
        String repo = repo("man");
        Descriptor empty = client.pushBlob(repo, Manifests.EMPTY_JSON, Manifests.OCI_EMPTY);
        assertEquals(Manifests.EMPTY_CONFIG, empty);
        Descriptor data = client.pushBlob(repo, "some sbom".getBytes(StandardCharsets.UTF_8), "application/vnd.example.sbom.v1+json");
        byte[] manifest = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(data),
                "application/vnd.example.sbom.v1", null, Map.of("org.example.kind", "sbom"));
        pushAndVerify(repo, "sbom", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void ociArtifactWithEmptyConfigAndEmptyLayer() throws Exception {
        String repo = repo("man");
        client.pushBlob(repo, Manifests.EMPTY_JSON, Manifests.OCI_EMPTY);
        byte[] manifest = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(Manifests.EMPTY_CONFIG),
                "application/vnd.example.marker.v1", null, null);
        pushAndVerify(repo, "marker", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void ociArtifactWithCustomConfigMediaType() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, "{\"custom\":true}".getBytes(StandardCharsets.UTF_8),
                "application/vnd.example.config.v1+json");
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(64), "application/vnd.example.layer.v1.tar");
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        pushAndVerify(repo, "custom", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void manifestWithSubjectAnswersOciSubject() throws Exception {
        String repo = repo("man");
        Image subject = pushImage(repo, "base");
        client.pushBlob(repo, Manifests.EMPTY_JSON, Manifests.OCI_EMPTY);
        byte[] referrer = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(Manifests.EMPTY_CONFIG),
                "application/vnd.example.signature.v1", subject.descriptor(), null);
        ApiResponse put = client.putManifest(repo, Digests.sha256(referrer), Manifests.OCI_MANIFEST, referrer);
        assertStatus(201, put);
        assertHeader(subject.digest(), put, "OCI-Subject");
        assertHeader(Digests.sha256(referrer), put, "Docker-Content-Digest");
        assertStoredExactly(repo, Digests.sha256(referrer), Manifests.OCI_MANIFEST, referrer);
    }

    @Test
    void manifestWhoseSubjectDoesNotExistIsAccepted() throws Exception {
        String repo = repo("man");
        client.pushBlob(repo, Manifests.EMPTY_JSON, Manifests.OCI_EMPTY);
        Descriptor missing = new Descriptor(Manifests.OCI_MANIFEST, Digests.randomSha256(), 123);
        byte[] referrer = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(Manifests.EMPTY_CONFIG),
                "application/vnd.example.signature.v1", missing, null);
        ApiResponse put = client.putManifest(repo, "sig", Manifests.OCI_MANIFEST, referrer);
        assertStatus(201, put);
        assertHeader(missing.digest(), put, "OCI-Subject");
        assertStoredExactly(repo, "sig", Manifests.OCI_MANIFEST, referrer);
    }

    @Test
    void indexWithSubjectAnswersOciSubject() throws Exception {
        String repo = repo("man");
        Image subject = pushImage(repo, "base");
        Image child = pushImage(repo, null);
        byte[] index = Manifests.ociIndex(List.of(child.descriptor()), "application/vnd.example.bundle.v1",
                subject.descriptor(), null);
        ApiResponse put = client.putManifest(repo, "bundle", Manifests.OCI_INDEX, index);
        assertStatus(201, put);
        assertHeader(subject.digest(), put, "OCI-Subject");
    }

    @Test
    void manifestWithoutSubjectHasNoOciSubjectHeader() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        ApiResponse put = client.putManifest(repo, "plain", Manifests.OCI_MANIFEST, manifest);
        assertStatus(201, put);
        assertFalse(put.hasHeader("OCI-Subject"), () -> "OCI-Subject without a subject: " + put);
    }

    @Test
    void storedBytesAreReturnedExactlyWhateverTheFormatting() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(100), Manifests.OCI_LAYER);
        String text = "\n\t {   \"schemaVersion\" :2 ,\r\n"
                + "  \"mediaType\":\t\"" + Manifests.OCI_MANIFEST + "\",\n"
                + "        \"config\": {\"size\": " + config.size() + ", \"digest\": \"" + config.digest()
                + "\",   \"mediaType\": \"" + config.mediaType() + "\"},\n"
                + "\"layers\"   : [\n\n   {\"mediaType\":\"" + layer.mediaType() + "\",\"digest\":\""
                + layer.digest() + "\",\"size\":" + layer.size() + "}   ],\n"
                + "  \"annotations\": {\"note\": \"caf\\u00e9 \u00fcber \\\"quoted\\\" \\/ slash\", \"z\": \"last\", \"a\": \"first\"}\n"
                + "}   \n\n";
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        // sanity: it is valid JSON, and re-serialising it would change its digest
        JsonNode parsed = Json.MAPPER.readTree(body);
        assertFalse(Digests.sha256(Json.bytes(parsed)).equals(Digests.sha256(body)));
        pushAndVerify(repo, "spaced", Manifests.OCI_MANIFEST, body);
    }

    @Test
    void pushByDigestStoresWithoutATag() throws Exception {
        String repo = repo("man");
        Image tagged = pushImage(repo, "keep");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        String digest = Digests.sha256(manifest);
        ApiResponse put = client.putManifest(repo, digest, Manifests.OCI_MANIFEST, manifest);
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        assertStoredExactly(repo, digest, Manifests.OCI_MANIFEST, manifest);
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertStatus(200, tags);
        assertEquals(List.of(tagged.tag()), Json.strings(tags.json().get("tags")));
    }

    @Test
    void pushByDigestWithDifferentBodyIsDigestInvalid() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        String wrong = Digests.randomSha256();
        ApiResponse put = client.putManifest(repo, wrong, Manifests.OCI_MANIFEST, manifest);
        assertError(put, 400, "DIGEST_INVALID");
        assertStatus(404, client.headManifest(repo, wrong));
        assertStatus(404, client.headManifest(repo, Digests.sha256(manifest)));
    }

    @Test
    void pushBySha512DigestOfTheBodyWorksOrIsRefused() throws Exception {
        // the spec does not require sha512 manifest references; if taken, they must work fully
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        String sha512 = Digests.sha512(manifest);
        ApiResponse put = client.putManifest(repo, sha512, Manifests.OCI_MANIFEST, manifest);
        if (put.status() == 400) {
            Asserts.assertErrorBody(put, "DIGEST_INVALID", "UNSUPPORTED");
            return;
        }
        assertStatus(201, put);
        assertHeader(sha512, put, "Docker-Content-Digest");
        ApiResponse get = client.getManifest(repo, sha512);
        assertStatus(200, get);
        assertBody(manifest, get);
        assertTrue(Digests.matches(get.header("Docker-Content-Digest"), manifest), () -> "digest header: " + get);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "not json", "", "[]", "null", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}"})
    void invalidManifestIsManifestInvalid(String body) throws Exception {
        String repo = repo("man");
        pushImage(repo, "exists");
        ApiResponse put = client.putManifest(repo, "bad", Manifests.OCI_MANIFEST, body.getBytes(StandardCharsets.UTF_8));
        assertError(put, 400, "MANIFEST_INVALID");
        assertError(client.getManifest(repo, "bad"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void missingConfigBlobIsManifestBlobUnknown() throws Exception {
        String repo = repo("man");
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(100), Manifests.OCI_LAYER);
        Descriptor config = new Descriptor(Manifests.OCI_CONFIG, Digests.randomSha256(), 100);
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        assertError(client.putManifest(repo, "t", Manifests.OCI_MANIFEST, manifest), 400, "MANIFEST_BLOB_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "t"));
        assertStatus(404, client.headManifest(repo, Digests.sha256(manifest)));
    }

    @Test
    void missingLayerBlobIsManifestBlobUnknown() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        Descriptor layer = new Descriptor(Manifests.OCI_LAYER, Digests.randomSha256(), 100);
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        assertError(client.putManifest(repo, "t", Manifests.OCI_MANIFEST, manifest), 400, "MANIFEST_BLOB_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "t"));
    }

    @Test
    void missingDockerLayerIsManifestBlobUnknown() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.DOCKER_CONFIG);
        Descriptor layer = new Descriptor(Manifests.DOCKER_LAYER, Digests.randomSha256(), 100);
        byte[] manifest = Manifests.dockerManifest(config, List.of(layer));
        assertError(client.putManifest(repo, "t", Manifests.DOCKER_MANIFEST, manifest), 400, "MANIFEST_BLOB_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "t"));
    }

    @Test
    void blobsOfAnotherRepositoryDoNotCount() throws Exception {
        String a = repo("man-a");
        String b = repo("man-b");
        Descriptor config = client.pushBlob(a, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        Descriptor layer = client.pushBlob(a, Digests.randomBytes(100), Manifests.OCI_LAYER);
        pushImage(b, "other"); // b exists
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        assertError(client.putManifest(b, "t", Manifests.OCI_MANIFEST, manifest), 400, "MANIFEST_BLOB_UNKNOWN");
        assertStatus(404, client.headManifest(b, "t"));
        assertStatus(201, client.putManifest(a, "t", Manifests.OCI_MANIFEST, manifest));
    }

    @Test
    void indexWithMissingChildIsRejected() throws Exception {
        String repo = repo("man");
        Image present = pushImage(repo, null);
        Descriptor missing = new Descriptor(Manifests.OCI_MANIFEST, Digests.randomSha256(), 500);
        byte[] index = Manifests.ociIndex(List.of(present.descriptor(), missing), null, null, null);
        ApiResponse put = client.putManifest(repo, "idx", Manifests.OCI_INDEX, index);
        assertError(put, 400, "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "idx"));
    }

    @Test
    void manifestListWithChildOfAnotherRepositoryIsRejected() throws Exception {
        String a = repo("man-a");
        String b = repo("man-b");
        Descriptor child = pushDockerImage(a, null);
        pushDockerImage(b, "exists");
        byte[] list = Manifests.dockerList(List.of(child));
        ApiResponse put = client.putManifest(b, "list", Manifests.DOCKER_LIST, list);
        assertError(put, 400, "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN");
    }

    @Test
    void manifestOverFourMebibytesIsRejected() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of(), null, null,
                Map.of("padding", "x".repeat(4 * 1024 * 1024 + 1024)));
        assertTrue(manifest.length > 4 * 1024 * 1024);
        // raw: a server may answer before it has read the whole body
        ApiResponse put = client.raw().request("PUT", "/v2/" + repo + "/manifests/big")
                .header("Content-Type", Manifests.OCI_MANIFEST)
                .body(manifest)
                .send();
        assertTrue(put.status() == 413 || put.status() == 400, () -> "oversized manifest: " + put);
        if (put.status() == 400) {
            Asserts.assertErrorBody(put, "MANIFEST_INVALID", "SIZE_INVALID");
        }
        assertStatus(404, client.headManifest(repo, "big"));
        assertStatus(404, client.headManifest(repo, Digests.sha256(manifest)));
    }

    @Test
    void manifestOfFourMegabytesIsAccepted() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] probe = Manifests.ociManifest(config, List.of(), null, null, Map.of("padding", ""));
        byte[] manifest = Manifests.ociManifest(config, List.of(), null, null,
                Map.of("padding", "y".repeat(4_000_000 - probe.length)));
        assertEquals(4_000_000, manifest.length);
        String digest = client.pushManifest(repo, "large", Manifests.OCI_MANIFEST, manifest);
        ApiResponse get = client.getManifest(repo, digest);
        assertStatus(200, get);
        assertBody(manifest, get);
    }

    @Test
    void unknownTagIsManifestUnknown() throws Exception {
        String repo = repo("man");
        pushImage(repo, "exists");
        assertError(client.getManifest(repo, "nope"), 404, "MANIFEST_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "nope"));
    }

    @Test
    void unknownDigestIsManifestUnknown() throws Exception {
        String repo = repo("man");
        pushImage(repo, "exists");
        String digest = Digests.randomSha256();
        assertError(client.getManifest(repo, digest), 404, "MANIFEST_UNKNOWN");
        assertStatus(404, client.headManifest(repo, digest));
    }

    @Test
    void blobDigestIsNotAManifest() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "exists");
        assertError(client.getManifest(repo, image.layer().digest()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void manifestsAreScopedToTheirRepository() throws Exception {
        String a = repo("man-a");
        String b = repo("man-b");
        Image image = pushImage(a, "t");
        pushImage(b, "other");
        assertError(client.getManifest(b, image.digest()), 404, "MANIFEST_UNKNOWN");
        assertError(client.getManifest(b, "t"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void unknownRepositoryIs404() throws Exception {
        String repo = repo("nothere");
        assertError(client.getManifest(repo, "latest"), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
        assertError(client.getManifest(repo, Digests.randomSha256()), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
        assertStatus(404, client.headManifest(repo, "latest"));
    }

    @Test
    void deleteByDigestRemovesManifestAndItsTags() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "one");
        client.pushManifest(repo, "two", image.mediaType(), image.manifest());
        Image other = pushImage(repo, "other");

        ApiResponse delete = client.delete("/v2/" + repo + "/manifests/" + image.digest());
        assertStatus(202, delete);
        assertError(client.getManifest(repo, image.digest()), 404, "MANIFEST_UNKNOWN");
        assertError(client.getManifest(repo, "one"), 404, "MANIFEST_UNKNOWN");
        assertError(client.getManifest(repo, "two"), 404, "MANIFEST_UNKNOWN");
        assertStatus(404, client.headManifest(repo, image.digest()));
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertStatus(200, tags);
        assertEquals(List.of("other"), Json.strings(tags.json().get("tags")));
        assertStoredExactly(repo, "other", other.mediaType(), other.manifest());
        assertError(client.delete("/v2/" + repo + "/manifests/" + image.digest()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByTagRemovesOnlyTheTag() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "one");
        client.pushManifest(repo, "two", image.mediaType(), image.manifest());

        ApiResponse delete = client.delete("/v2/" + repo + "/manifests/one");
        assertStatus(202, delete);
        assertError(client.getManifest(repo, "one"), 404, "MANIFEST_UNKNOWN");
        assertStoredExactly(repo, image.digest(), image.mediaType(), image.manifest());
        assertStoredExactly(repo, "two", image.mediaType(), image.manifest());
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertStatus(200, tags);
        assertEquals(List.of("two"), Json.strings(tags.json().get("tags")));
    }

    @Test
    void deleteUnknownManifestIs404() throws Exception {
        String repo = repo("man");
        pushImage(repo, "exists");
        assertError(client.delete("/v2/" + repo + "/manifests/" + Digests.randomSha256()), 404, "MANIFEST_UNKNOWN");
        assertError(client.delete("/v2/" + repo + "/manifests/nosuchtag"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void manifestCanBePushedAgainAfterDelete() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "t");
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/" + image.digest()));
        client.pushManifest(repo, "t", image.mediaType(), image.manifest());
        assertStoredExactly(repo, "t", image.mediaType(), image.manifest());
        assertStoredExactly(repo, image.digest(), image.mediaType(), image.manifest());
    }

    @Test
    void retaggingMovesTheTag() throws Exception {
        String repo = repo("man");
        Image first = pushImage(repo, "moving");
        Image second = pushImage(repo, "moving");
        assertStoredExactly(repo, "moving", second.mediaType(), second.manifest());
        // the first is still there by digest
        assertStoredExactly(repo, first.digest(), first.mediaType(), first.manifest());
    }

    @Test
    void samePushTwiceIsIdempotent() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "again");
        ApiResponse put = client.putManifest(repo, "again", image.mediaType(), image.manifest());
        assertStatus(201, put);
        assertHeader(image.digest(), put, "Docker-Content-Digest");
        assertStoredExactly(repo, "again", image.mediaType(), image.manifest());
    }

    @Test
    void contentTypeIsWhatWasPushedNotGuessed() throws Exception {
        // an OCI manifest whose JSON carries no mediaType: the type comes from the PUT's Content-Type
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        ObjectNode m = Json.object();
        m.put("schemaVersion", 2);
        m.set("config", config.toJson());
        m.putArray("layers");
        byte[] body = Json.bytes(m);
        ApiResponse put = client.putManifest(repo, "untyped", Manifests.OCI_MANIFEST, body);
        assertStatus(201, put);
        assertStoredExactly(repo, "untyped", Manifests.OCI_MANIFEST, body);
    }

    @Test
    void locationOfAPushedManifestIsPullable() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        ApiResponse put = client.putManifest(repo, "loc", Manifests.OCI_MANIFEST, manifest);
        assertStatus(201, put);
        assertNotNull(put.header("Location"));
        String path = client.uri(put.header("Location")).getPath();
        assertTrue(path.startsWith("/v2/" + repo + "/manifests/"), () -> "Location: " + put);
        ApiResponse get = client.get(client.location(put), "Accept", RegistryClient.ACCEPT_MANIFESTS);
        assertStatus(200, get);
        assertBody(manifest, get);
    }
    @Test
    void manifestWithChunkedTransferEncoding() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        ApiResponse put = client.sendStreaming("PUT", "/v2/" + repo + "/manifests/streamed",
                () -> new java.io.ByteArrayInputStream(manifest), "Content-Type", Manifests.OCI_MANIFEST);
        assertStatus(201, put);
        assertHeader(Digests.sha256(manifest), put, "Docker-Content-Digest");
        assertStoredExactly(repo, "streamed", Manifests.OCI_MANIFEST, manifest);
    }

    @Test
    void contentTypeParametersAreNotPartOfTheStoredType() throws Exception {
        String repo = repo("man");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] manifest = Manifests.ociManifest(config, List.of());
        ApiResponse put = client.putManifest(repo, "param", Manifests.OCI_MANIFEST + "; charset=utf-8", manifest);
        assertStatus(201, put);
        ApiResponse get = client.getManifest(repo, "param");
        assertStatus(200, get);
        assertBody(manifest, get);
        assertEquals(Manifests.OCI_MANIFEST, get.mediaType(), () -> "Content-Type of " + get);
    }

    @Test
    void deletingAManifestKeepsItsBlobs() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "t");
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/" + image.digest()));
        assertStatus(200, client.head("/v2/" + repo + "/blobs/" + image.layer().digest()));
        assertStatus(200, client.head("/v2/" + repo + "/blobs/" + image.config().digest()));
    }

    @Test
    void oneManifestUnderManyTagsAndRepositories() throws Exception {
        String a = repo("man-a");
        String b = repo("man-b");
        Image image = pushImage(a, "one");
        client.pushManifest(a, "two", image.mediaType(), image.manifest());
        client.post("/v2/" + b + "/blobs/uploads/?mount=" + image.config().digest() + "&from=" + a, new byte[0]);
        client.post("/v2/" + b + "/blobs/uploads/?mount=" + image.layer().digest() + "&from=" + a, new byte[0]);
        client.pushManifest(b, "other", image.mediaType(), image.manifest());
        assertStatus(202, client.delete("/v2/" + a + "/manifests/" + image.digest()));
        // deleting in a leaves b alone
        assertStoredExactly(b, "other", image.mediaType(), image.manifest());
        assertStoredExactly(b, image.digest(), image.mediaType(), image.manifest());
    }

    @Test
    void indexWhoseChildIsALayerIsRejectedOrStoredAsIs() throws Exception {
        String repo = repo("man");
        Image image = pushImage(repo, "t");
        // the digest exists in the repository, but as a layer blob, not as a manifest: the spec lets a
        // registry reject this (and Distribution accepts it); either way the answer must be coherent
        Descriptor notAManifest = new Descriptor(Manifests.OCI_MANIFEST, image.layer().digest(), image.layer().size());
        byte[] index = Manifests.ociIndex(List.of(image.descriptor(), notAManifest), null, null, null);
        ApiResponse put = client.putManifest(repo, "idx", Manifests.OCI_INDEX, index);
        if (put.status() == 201) {
            assertStoredExactly(repo, "idx", Manifests.OCI_INDEX, index);
        } else {
            assertError(put, 400, "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN");
            assertStatus(404, client.headManifest(repo, "idx"));
        }
    }

    /**
     * A reference that is neither a tag nor a digest names no manifest: 404 MANIFEST_UNKNOWN, as
     * registry:2 and the OCI conformance suite expect, while a PUT to it stays a 400.
     */
    @Test
    void referenceThatIsNeitherTagNorDigestIsUnknown() throws Exception {
        String repo = repo("badref");
        Image image = pushImage(repo, "good");
        for (String reference : List.of(".INVALID_MANIFEST_NAME", "-bad", "t" + "x".repeat(128), "sha256:zz",
                "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:" + "A".repeat(64))) {
            for (String method : List.of("GET", "HEAD", "DELETE")) {
                ApiResponse response = client.raw().request(method, "/v2/" + repo + "/manifests/" + reference).send();
                assertError(response, 404, "MANIFEST_UNKNOWN");
            }
            ApiResponse put = client.raw().request("PUT", "/v2/" + repo + "/manifests/" + reference)
                    .header("Content-Type", image.mediaType()).body(image.manifest()).send();
            assertError(put, 400, "TAG_INVALID", "MANIFEST_INVALID", "DIGEST_INVALID");
        }
        assertStatus(200, client.headManifest(repo, "good"));
    }
}

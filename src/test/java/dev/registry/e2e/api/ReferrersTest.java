package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-12a/12b: the referrers API, and the {@code subject} handling of manifest pushes. */
class ReferrersTest extends ApiTestBase {
    private static final String SBOM = "application/vnd.example.sbom.v1";
    private static final String SIGNATURE_CONFIG = "application/vnd.example.signature.config.v1+json";
    private static final String BUNDLE = "application/vnd.example.bundle.v1";

    /** A referrer as the registry should describe it. */
    record Expected(String mediaType, String digest, long size, String artifactType, Map<String, String> annotations) {
    }

    private Expected pushArtifact(String repo, Descriptor subject, String artifactType, Descriptor config,
                                  Map<String, String> annotations) throws Exception {
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(50), "application/vnd.example.data.v1");
        byte[] manifest = Manifests.ociManifest(config, List.of(layer), artifactType, subject, annotations);
        String digest = Digests.sha256(manifest);
        ApiResponse put = client.putManifest(repo, digest, Manifests.OCI_MANIFEST, manifest);
        assertStatus(201, put);
        if (subject != null) {
            Asserts.assertHeader(subject.digest(), put, "OCI-Subject");
        }
        return new Expected(Manifests.OCI_MANIFEST, digest, manifest.length,
                artifactType != null ? artifactType : config.mediaType(), annotations);
    }

    private Descriptor emptyConfig(String repo) throws Exception {
        return client.pushBlob(repo, Manifests.EMPTY_JSON, Manifests.OCI_EMPTY);
    }

    private ApiResponse referrers(String repo, String digest, String artifactType) throws Exception {
        String url = "/v2/" + repo + "/referrers/" + digest;
        if (artifactType != null) {
            url += "?artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8);
        }
        return client.get(url);
    }

    /** Asserts an image index answer and returns its descriptors by digest. */
    private Map<String, JsonNode> index(ApiResponse response) {
        assertStatus(200, response);
        assertEquals(Manifests.OCI_INDEX, response.mediaType(), () -> "Content-Type of " + response);
        JsonNode body = response.json();
        assertEquals(2, body.path("schemaVersion").asInt(), () -> "schemaVersion in " + response);
        assertEquals(Manifests.OCI_INDEX, body.path("mediaType").asText(), () -> "mediaType in " + response);
        assertTrue(body.path("manifests").isArray(), () -> "manifests array in " + response);
        Map<String, JsonNode> byDigest = new HashMap<>();
        body.get("manifests").forEach(d -> byDigest.put(d.path("digest").asText(), d));
        assertEquals(body.get("manifests").size(), byDigest.size(), () -> "duplicate descriptors: " + response);
        return byDigest;
    }

    private static void assertDescriptor(Expected expected, JsonNode actual) {
        assertEquals(expected.mediaType(), actual.path("mediaType").asText(), () -> "mediaType of " + actual);
        assertEquals(expected.digest(), actual.path("digest").asText());
        assertEquals(expected.size(), actual.path("size").asLong(), () -> "size of " + actual);
        if (expected.artifactType() == null) {
            assertFalse(actual.has("artifactType") && !actual.get("artifactType").isNull()
                            && !actual.get("artifactType").asText().isEmpty(),
                    () -> "an index without artifactType should have none: " + actual);
        } else {
            assertEquals(expected.artifactType(), actual.path("artifactType").asText(), () -> "artifactType of " + actual);
        }
        if (expected.annotations() != null) {
            Map<String, String> annotations = new HashMap<>();
            actual.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
            assertEquals(expected.annotations(), annotations, () -> "annotations of " + actual);
        }
    }

    private static void assertReferrers(Map<String, JsonNode> actual, Expected... expected) {
        Set<String> wanted = java.util.Arrays.stream(expected).map(Expected::digest).collect(Collectors.toSet());
        assertEquals(wanted, actual.keySet(), "referrer digests");
        for (Expected e : expected) {
            assertDescriptor(e, actual.get(e.digest()));
        }
    }

    @Test
    void listsManifestsWhoseSubjectIsTheDigest() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        Image unrelated = pushImage(repo, "other");
        Descriptor empty = emptyConfig(repo);
        Descriptor sigConfig = client.pushBlob(repo, "{\"sig\":1}".getBytes(StandardCharsets.UTF_8), SIGNATURE_CONFIG);

        Expected sbom = pushArtifact(repo, subject.descriptor(), SBOM, empty, Map.of("org.example.kind", "sbom"));
        Expected signature = pushArtifact(repo, subject.descriptor(), null, sigConfig,
                Map.of("org.example.kind", "signature", "org.opencontainers.image.created", "2024-01-01T00:00:00Z"));
        pushArtifact(repo, unrelated.descriptor(), SBOM, empty, null);
        pushArtifact(repo, null, SBOM, empty, null);

        ApiResponse response = referrers(repo, subject.digest(), null);
        assertReferrers(index(response), sbom, signature);
        String filters = response.header("OCI-Filters-Applied");
        assertTrue(filters == null || !filters.contains("artifactType"),
                () -> "no filter was asked for: " + response);
    }

    @Test
    void indexReferrersAreListed() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        Image child = pushImage(repo, null);
        byte[] typed = Manifests.ociIndex(List.of(child.descriptor()), BUNDLE, subject.descriptor(),
                Map.of("org.example.kind", "bundle"));
        byte[] untyped = Manifests.ociIndex(List.of(child.descriptor()), null, subject.descriptor(), null);
        ApiResponse put1 = client.putManifest(repo, Digests.sha256(typed), Manifests.OCI_INDEX, typed);
        assertStatus(201, put1);
        Asserts.assertHeader(subject.digest(), put1, "OCI-Subject");
        assertStatus(201, client.putManifest(repo, Digests.sha256(untyped), Manifests.OCI_INDEX, untyped));

        assertReferrers(index(referrers(repo, subject.digest(), null)),
                new Expected(Manifests.OCI_INDEX, Digests.sha256(typed), typed.length, BUNDLE,
                        Map.of("org.example.kind", "bundle")),
                new Expected(Manifests.OCI_INDEX, Digests.sha256(untyped), untyped.length, null, null));
    }

    @Test
    void artifactTypeFilter() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        Descriptor empty = emptyConfig(repo);
        Descriptor sigConfig = client.pushBlob(repo, "{\"sig\":2}".getBytes(StandardCharsets.UTF_8), SIGNATURE_CONFIG);
        Expected sbom1 = pushArtifact(repo, subject.descriptor(), SBOM, empty, Map.of("n", "1"));
        Expected sbom2 = pushArtifact(repo, subject.descriptor(), SBOM, empty, Map.of("n", "2"));
        Expected signature = pushArtifact(repo, subject.descriptor(), null, sigConfig, null);

        ApiResponse sboms = referrers(repo, subject.digest(), SBOM);
        assertReferrers(index(sboms), sbom1, sbom2);
        Asserts.assertHeader("artifactType", sboms, "OCI-Filters-Applied");

        // the artifactType of a manifest without one is its config's media type, and filters apply to it
        ApiResponse signatures = referrers(repo, subject.digest(), SIGNATURE_CONFIG);
        assertReferrers(index(signatures), signature);
        Asserts.assertHeader("artifactType", signatures, "OCI-Filters-Applied");
    }

    @Test
    void filterMatchingNothingGivesAnEmptyList() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        pushArtifact(repo, subject.descriptor(), SBOM, emptyConfig(repo), null);
        ApiResponse response = referrers(repo, subject.digest(), "application/vnd.example.none");
        assertTrue(index(response).isEmpty(), () -> "nothing should match: " + response);
        Asserts.assertHeader("artifactType", response, "OCI-Filters-Applied");
    }

    @Test
    void unknownDigestGivesAnEmptyIndex() throws Exception {
        String repo = repo("ref");
        pushImage(repo, "image");
        ApiResponse response = referrers(repo, Digests.randomSha256(), null);
        assertTrue(index(response).isEmpty(), () -> "no referrers expected: " + response);
    }

    @Test
    void unknownRepositoryIsEmptyOrNameUnknown() throws Exception {
        ApiResponse response = referrers(repo("nothere"), Digests.randomSha256(), null);
        if (response.status() == 404) {
            Asserts.assertErrorBody(response, "NAME_UNKNOWN");
        } else {
            assertTrue(index(response).isEmpty());
        }
    }

    @Test
    void referrerPushedBeforeItsSubject() throws Exception {
        String repo = repo("ref");
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] subjectManifest = Manifests.ociManifest(config, List.of());
        Descriptor subject = Descriptor.of(Manifests.OCI_MANIFEST, subjectManifest);

        Expected sbom = pushArtifact(repo, subject, SBOM, emptyConfig(repo), null);
        assertReferrers(index(referrers(repo, subject.digest(), null)), sbom);

        client.pushManifest(repo, "late", Manifests.OCI_MANIFEST, subjectManifest);
        assertReferrers(index(referrers(repo, subject.digest(), null)), sbom);
    }

    @Test
    void referrersAreScopedToTheRepository() throws Exception {
        String a = repo("ref-a");
        String b = repo("ref-b");
        Image subject = pushImage(a, "image");
        client.pushManifest(b, "image", subject.mediaType(), subjectCopy(b, subject));
        Expected inA = pushArtifact(a, subject.descriptor(), SBOM, emptyConfig(a), null);
        Expected inB = pushArtifact(b, subject.descriptor(), SBOM, emptyConfig(b), null);
        assertReferrers(index(referrers(a, subject.digest(), null)), inA);
        assertReferrers(index(referrers(b, subject.digest(), null)), inB);
    }

    /** Makes {@code image}'s blobs available in {@code repo} and returns its manifest bytes. */
    private byte[] subjectCopy(String repo, Image image) throws Exception {
        ApiResponse config = client.get("/v2/" + image.repo() + "/blobs/" + image.config().digest());
        ApiResponse layer = client.get("/v2/" + image.repo() + "/blobs/" + image.layer().digest());
        client.pushBlob(repo, config.body());
        client.pushBlob(repo, layer.body());
        return image.manifest();
    }

    @Test
    void deletedReferrerLeavesTheList() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        Descriptor empty = emptyConfig(repo);
        Expected keep = pushArtifact(repo, subject.descriptor(), SBOM, empty, Map.of("k", "keep"));
        Expected drop = pushArtifact(repo, subject.descriptor(), SBOM, empty, Map.of("k", "drop"));
        assertReferrers(index(referrers(repo, subject.digest(), null)), keep, drop);

        assertStatus(202, client.delete("/v2/" + repo + "/manifests/" + drop.digest()));
        assertReferrers(index(referrers(repo, subject.digest(), null)), keep);
    }

    @Test
    void referrersSurviveDeletingTheSubject() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        Expected sbom = pushArtifact(repo, subject.descriptor(), SBOM, emptyConfig(repo), null);
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/" + subject.digest()));
        ApiResponse response = referrers(repo, subject.digest(), null);
        assertStatus(200, response);
        Map<String, JsonNode> listed = index(response);
        // whether a registry keeps listing referrers of a deleted subject is its choice; what it lists must be right
        if (!listed.isEmpty()) {
            assertReferrers(listed, sbom);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:xyz", "notadigest", "sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
            "md5:d41d8cd98f00b204e9800998ecf8427e", "latest"})
    void invalidDigestIs400(String digest) throws Exception {
        String repo = repo("ref");
        pushImage(repo, "image");
        ApiResponse response = referrers(repo, digest, null);
        assertStatus(400, response);
        Asserts.assertErrorBody(response);
    }

    @Test
    void unknownSha512DigestGivesAnEmptyIndex() throws Exception {
        String repo = repo("ref");
        pushImage(repo, "image");
        ApiResponse response = referrers(repo, Digests.random("sha512"), null);
        assertTrue(index(response).isEmpty(), () -> "no referrers expected: " + response);
    }

    @Test
    void referrerThatIsAlsoTaggedIsListedOnce() throws Exception {
        String repo = repo("ref");
        Image subject = pushImage(repo, "image");
        client.pushBlob(repo, Manifests.EMPTY_JSON);
        byte[] manifest = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(Manifests.EMPTY_CONFIG), SBOM,
                subject.descriptor(), null);
        client.pushManifest(repo, "sbom-a", Manifests.OCI_MANIFEST, manifest);
        client.pushManifest(repo, "sbom-b", Manifests.OCI_MANIFEST, manifest);
        client.pushManifest(repo, Digests.sha256(manifest), Manifests.OCI_MANIFEST, manifest);
        assertReferrers(index(referrers(repo, subject.digest(), null)),
                new Expected(Manifests.OCI_MANIFEST, Digests.sha256(manifest), manifest.length, SBOM, null));
        // untagging leaves the manifest, and so the referrer
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/sbom-a"));
        assertEquals(1, index(referrers(repo, subject.digest(), null)).size());
    }
}

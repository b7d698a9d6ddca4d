package dev.registry.e2e.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static dev.registry.e2e.api.RegistryClient.withDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a restart of the registry process (same storage directory) must keep. */
class RestartTest extends ApiTestBase {

    @BeforeEach
    void onlyWhenManaged() {
        assumeManaged();
    }

    private void restart() throws Exception {
        registry.restart();
        client = new RegistryClient(registry.baseUrl());
    }

    @Test
    void blobsManifestsAndTagsSurviveARestart() throws Exception {
        String repo = repo("restart");
        byte[] data = Digests.randomBytes(300_000);
        String digest = client.pushBlob(repo, data);
        Image image = pushImage(repo, "v1");
        client.pushManifest(repo, "v2", image.mediaType(), image.manifest());

        restart();

        ApiResponse blob = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, blob);
        assertBody(data, blob);
        assertHeader(digest, blob, "Docker-Content-Digest");
        ApiResponse manifest = client.getManifest(repo, "v1");
        assertStatus(200, manifest);
        assertBody(image.manifest(), manifest);
        assertEquals(image.mediaType(), manifest.mediaType());
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertEquals(List.of("v1", "v2"), Json.strings(tags.json().get("tags")));
        assertEquals(true, catalog().contains(repo));
    }

    @Test
    void uploadSessionSurvivesARestart() throws Exception {
        String repo = repo("restart");
        byte[] data = Digests.randomBytes(200_000);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        ApiResponse first = client.patch(location, Arrays.copyOfRange(data, 0, 120_000),
                "Content-Type", "application/octet-stream");
        assertStatus(202, first);
        assertHeader("0-119999", first, "Range");
        location = client.location(first);

        restart();
        location = client.rebase(location);

        ApiResponse status = client.get(location);
        assertStatus(204, status);
        assertHeader("0-119999", status, "Range");
        ApiResponse second = client.patch(location, Arrays.copyOfRange(data, 120_000, 180_000),
                "Content-Type", "application/octet-stream", "Content-Range", "120000-179999");
        assertStatus(202, second);
        assertHeader("0-179999", second, "Range");
        ApiResponse put = client.put(withDigest(client.rebase(client.location(second)), digest),
                Arrays.copyOfRange(data, 180_000, 200_000), "Content-Type", "application/octet-stream");
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        assertBody(data, client.get("/v2/" + repo + "/blobs/" + digest));
    }

    @Test
    void completedContentSurvivesAKill() throws Exception {
        String repo = repo("crash");
        byte[] data = Digests.randomBytes(100_000);
        String digest = client.pushBlob(repo, data);
        Image image = pushImage(repo, "latest");

        registry.crashAndRestart();
        client = new RegistryClient(registry.baseUrl());

        assertBody(data, client.get("/v2/" + repo + "/blobs/" + digest));
        assertBody(image.manifest(), client.getManifest(repo, "latest"));
        assertBody(image.manifest(), client.getManifest(repo, image.digest()));
    }

    @Test
    void deletionsSurviveARestart() throws Exception {
        String repo = repo("restart");
        Image image = pushImage(repo, "gone");
        Image kept = pushImage(repo, "kept");
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/" + image.digest()));
        assertStatus(202, client.delete("/v2/" + repo + "/blobs/" + image.layer().digest()));

        restart();

        assertStatus(404, client.headManifest(repo, image.digest()));
        assertStatus(404, client.headManifest(repo, "gone"));
        assertStatus(404, client.head("/v2/" + repo + "/blobs/" + image.layer().digest()));
        assertBody(kept.manifest(), client.getManifest(repo, "kept"));
    }

    @Test
    void cancelledUploadStaysCancelledAfterARestart() throws Exception {
        String repo = repo("restart");
        String location = client.newUpload(repo);
        ApiResponse patch = client.patch(location, Digests.randomBytes(10), "Content-Type", "application/octet-stream");
        assertStatus(202, patch);
        location = client.location(patch);
        assertStatus(204, client.delete(location));

        restart();

        Asserts.assertError(client.get(client.rebase(location)), 404, "BLOB_UPLOAD_UNKNOWN");
    }
    @Test
    void referrersSurviveARestart() throws Exception {
        String repo = repo("restart");
        Image subject = pushImage(repo, "image");
        client.pushBlob(repo, Manifests.EMPTY_JSON);
        byte[] referrer = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of(Manifests.EMPTY_CONFIG),
                "application/vnd.example.sbom.v1", subject.descriptor(), null);
        String digest = client.pushManifest(repo, Digests.sha256(referrer), Manifests.OCI_MANIFEST, referrer);

        restart();

        ApiResponse response = client.get("/v2/" + repo + "/referrers/" + subject.digest());
        assertStatus(200, response);
        List<String> digests = new java.util.ArrayList<>();
        response.json().path("manifests").forEach(d -> digests.add(d.path("digest").asText()));
        assertEquals(List.of(digest), digests);
        ApiResponse filtered = client.get("/v2/" + repo + "/referrers/" + subject.digest()
                + "?artifactType=application%2Fvnd.example.sbom.v1");
        assertStatus(200, filtered);
        assertEquals(1, filtered.json().path("manifests").size());
    }
}

package dev.registry.e2e.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertStatus;

/** {@code storage.delete.enabled: false}: deletes are refused with 405 UNSUPPORTED and change nothing. */
class DeleteDisabledTest extends ApiTestBase {

    @Override
    protected boolean deleteEnabled() {
        return false;
    }

    @BeforeEach
    void onlyWhenManaged() {
        assumeManaged(); // an external registry's configuration is not ours to choose
    }

    @Test
    void blobDeleteIsUnsupported() throws Exception {
        String repo = repo("nodel");
        byte[] data = Digests.randomBytes(100);
        String digest = client.pushBlob(repo, data);
        assertError(client.delete("/v2/" + repo + "/blobs/" + digest), 405, "UNSUPPORTED");
        assertBody(data, client.get("/v2/" + repo + "/blobs/" + digest));
    }

    @Test
    void manifestDeleteIsUnsupported() throws Exception {
        String repo = repo("nodel");
        Image image = pushImage(repo, "latest");
        assertError(client.delete("/v2/" + repo + "/manifests/" + image.digest()), 405, "UNSUPPORTED");
        assertBody(image.manifest(), client.getManifest(repo, image.digest()));
        assertBody(image.manifest(), client.getManifest(repo, "latest"));
    }

    @Test
    void tagDeleteIsUnsupported() throws Exception {
        String repo = repo("nodel");
        Image image = pushImage(repo, "latest");
        assertError(client.delete("/v2/" + repo + "/manifests/latest"), 405, "UNSUPPORTED");
        assertBody(image.manifest(), client.getManifest(repo, "latest"));
    }

    @Test
    void uploadsCanStillBeCancelled() throws Exception {
        String repo = repo("nodel");
        String location = client.newUpload(repo);
        assertStatus(204, client.delete(location));
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void everythingElseStillWorks() throws Exception {
        String repo = repo("nodel");
        Image image = pushImage(repo, "latest");
        assertBody(image.manifest(), client.getManifest(repo, "latest"));
        assertStatus(200, client.get("/v2/" + repo + "/tags/list"));
    }
}

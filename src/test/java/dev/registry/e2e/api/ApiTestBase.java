package dev.registry.e2e.api;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One registry per test class (see {@link TestRegistry}); every test works in repositories of its
 * own, named by {@link #repo(String)}, so tests do not see each other's content.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiTestBase {
    protected TestRegistry registry;
    protected RegistryClient client;

    @BeforeAll
    void startRegistry() throws Exception {
        registry = TestRegistry.start(getClass().getSimpleName(), deleteEnabled());
        client = new RegistryClient(registry.baseUrl());
    }

    @AfterAll
    void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    protected boolean deleteEnabled() {
        return true;
    }

    /** Skips the test unless this run started the registry itself. */
    protected void assumeManaged() {
        assumeTrue(registry.managed(), "needs a registry started by the tests (registry.url is set)");
    }

    /** A repository name no other test uses: {@code <prefix>-<8 random chars>}. */
    static String repo(String prefix) {
        return prefix + "-" + randomId(8);
    }

    static String randomId(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return s.toString().toLowerCase(Locale.ROOT);
    }

    /** Every repository in the catalog, following {@code Link} headers from {@code GET /v2/_catalog}. */
    protected List<String> catalog() throws IOException {
        List<String> all = new java.util.ArrayList<>();
        String url = "/v2/_catalog";
        for (int page = 0; url != null; page++) {
            if (page > 10_000) {
                throw new AssertionError("catalog pagination does not end");
            }
            ApiResponse response = client.get(url);
            Asserts.assertStatus(200, response);
            response.json().path("repositories").forEach(r -> all.add(r.asText()));
            url = Links.next(response);
        }
        return all;
    }

    /** A pushed OCI image: config and one layer blob, and its manifest. */
    record Image(String repo, String tag, byte[] manifest, String digest, String mediaType,
                 Descriptor config, Descriptor layer) {
        Descriptor descriptor() {
            return new Descriptor(mediaType, digest, manifest.length);
        }
    }

    /** Pushes a small OCI image (config + one layer) and tags it (tag may be a digest-less null). */
    protected Image pushImage(String repo, String tag) throws IOException {
        Descriptor config = client.pushBlob(repo, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        Descriptor layer = client.pushBlob(repo, Digests.randomBytes(300), Manifests.OCI_LAYER);
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        String digest = Digests.sha256(manifest);
        client.pushManifest(repo, tag == null ? digest : tag, Manifests.OCI_MANIFEST, manifest);
        return new Image(repo, tag, manifest, digest, Manifests.OCI_MANIFEST, config, layer);
    }
}

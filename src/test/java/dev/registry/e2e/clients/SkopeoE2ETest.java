package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.assertImageInLayout;
import static dev.registry.e2e.clients.E2eAssertions.assertIndexInLayout;
import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** skopeo pushes locally built OCI layouts to the registry and copies them back unchanged. */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SkopeoE2ETest {
    private static final int KIB = 1024;

    @BeforeEach
    void requireSkopeo() {
        Cli.assumeTools(Skopeo.BINARY);
    }

    @Test
    void ociImageRoundTripKeepsManifestAndBlobsByteForByte() throws Exception {
        Path work = RegistryProcess.workDir("skopeo-oci");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        OciLayoutBuilder.Image image = source.image("linux", "amd64", KIB, 256 * KIB, 4 * KIB * KIB);
        source.tag(image.manifest(), "v1");

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String repo = "docker://" + registry.hostPort() + "/e2e/multi";
                Skopeo.copy("oci:" + source.dir() + ":v1", repo + ":v1", "--preserve-digests");

                assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(repo + ":v1"),
                        "skopeo inspect --raw must return the pushed manifest bytes");
                assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(repo + "@" + image.manifest().digest()),
                        "manifest by digest");
                assertEquals(List.of("v1"), Skopeo.listTags(repo));

                HttpResponse<byte[]> manifest = registry.get("/v2/e2e/multi/manifests/v1", OciLayoutBuilder.OCI_MANIFEST);
                assertEquals(200, manifest.statusCode());
                assertEquals(OciLayoutBuilder.OCI_MANIFEST, manifest.headers().firstValue("Content-Type").orElse(null));
                assertEquals(image.manifest().digest(), manifest.headers().firstValue("Docker-Content-Digest").orElse(null));
                assertArrayEquals(image.manifestBytes(), manifest.body());
                assertTrue(repositories(registry).contains("e2e/multi"), "catalog lists e2e/multi");

                Path out = work.resolve("out");
                Skopeo.copy(repo + ":v1", "oci:" + out + ":v1", "--preserve-digests");
                assertImageInLayout(out, "v1", source.dir(), image);
            });
        }
    }

    @Test
    void multiArchIndexRoundTripWithAll() throws Exception {
        Path work = RegistryProcess.workDir("skopeo-index");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        OciLayoutBuilder.Image amd64 = source.image("linux", "amd64", 64 * KIB, 512 * KIB);
        OciLayoutBuilder.Image arm64 = source.image("linux", "arm64", 32 * KIB, 768 * KIB);
        OciLayoutBuilder.Index index = source.index(List.of(amd64, arm64));
        source.tag(index.descriptor(), "v1");

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String repo = "docker://" + registry.hostPort() + "/e2e/multiarch";
                Skopeo.copy("oci:" + source.dir() + ":v1", repo + ":v1", "--all", "--preserve-digests");

                assertArrayEquals(index.bytes(), Skopeo.inspectRaw(repo + ":v1"), "index bytes as pushed");
                for (OciLayoutBuilder.Image child : index.images()) {
                    assertArrayEquals(child.manifestBytes(), Skopeo.inspectRaw(repo + "@" + child.manifest().digest()),
                            "child manifest " + child.manifest().platform());
                }
                assertEquals(List.of("v1"), Skopeo.listTags(repo));

                HttpResponse<byte[]> response = registry.get("/v2/e2e/multiarch/manifests/v1",
                        OciLayoutBuilder.OCI_INDEX + ", " + OciLayoutBuilder.OCI_MANIFEST);
                assertEquals(200, response.statusCode());
                assertEquals(OciLayoutBuilder.OCI_INDEX, response.headers().firstValue("Content-Type").orElse(null));
                assertEquals(index.descriptor().digest(), response.headers().firstValue("Docker-Content-Digest").orElse(null));

                Path out = work.resolve("out");
                Skopeo.copy(repo + ":v1", "oci:" + out + ":v1", "--all", "--preserve-digests");
                assertIndexInLayout(out, "v1", source.dir(), index);
            });
        }
    }

    @Test
    void dockerSchema2RoundTrip() throws Exception {
        Path work = RegistryProcess.workDir("skopeo-v2s2");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        OciLayoutBuilder.Image image = source.image("linux", "amd64", 128 * KIB, 2 * KIB * KIB);
        source.tag(image.manifest(), "v1");

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String repo = "docker://" + registry.hostPort() + "/e2e/schema2";
                Skopeo.copy("oci:" + source.dir() + ":v1", repo + ":v1", "--format", "v2s2");

                byte[] raw = Skopeo.inspectRaw(repo + ":v1");
                JsonNode manifest = OciLayoutBuilder.JSON.readTree(raw);
                assertEquals(2, manifest.path("schemaVersion").asInt());
                assertEquals(OciLayoutBuilder.DOCKER_MANIFEST, manifest.path("mediaType").asText());
                assertEquals(OciLayoutBuilder.DOCKER_CONFIG, manifest.path("config").path("mediaType").asText());
                assertEquals(image.config().digest(), manifest.path("config").path("digest").asText(),
                        "the conversion keeps the config blob");
                List<String> layers = new ArrayList<>();
                for (JsonNode layer : manifest.path("layers")) {
                    assertEquals(OciLayoutBuilder.DOCKER_LAYER_GZIP, layer.path("mediaType").asText());
                    layers.add(layer.path("digest").asText());
                }
                assertEquals(image.layers().stream().map(OciLayoutBuilder.Descriptor::digest).toList(), layers,
                        "the conversion keeps the layer blobs");
                String digest = OciLayoutBuilder.sha256(raw);
                assertArrayEquals(raw, Skopeo.inspectRaw(repo + "@" + digest), "manifest by digest");
                assertEquals(List.of("v1"), Skopeo.listTags(repo));

                HttpResponse<byte[]> response = registry.get("/v2/e2e/schema2/manifests/v1", OciLayoutBuilder.DOCKER_MANIFEST);
                assertEquals(200, response.statusCode());
                assertEquals(OciLayoutBuilder.DOCKER_MANIFEST, response.headers().firstValue("Content-Type").orElse(null));
                assertEquals(digest, response.headers().firstValue("Docker-Content-Digest").orElse(null));
                assertArrayEquals(raw, response.body());

                // dir: keeps the manifest exactly as served (oci: would convert it back to OCI).
                Path out = work.resolve("out");
                Skopeo.copy(repo + ":v1", "dir:" + out, "--preserve-digests");
                assertArrayEquals(raw, Files.readAllBytes(out.resolve("manifest.json")), "manifest.json copied back");
                for (String blob : image.blobDigests()) {
                    assertArrayEquals(OciLayoutBuilder.readBlob(source.dir(), blob),
                            Files.readAllBytes(out.resolve(blob.substring("sha256:".length()))), "blob " + blob);
                }
            });
        }
    }

    @Test
    void deleteByDigestRemovesTheManifestAndItsTags() throws Exception {
        Path work = RegistryProcess.workDir("skopeo-delete");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        OciLayoutBuilder.Image keep = source.image("linux", "amd64", 16 * KIB);
        OciLayoutBuilder.Image doomed = source.image("linux", "amd64", 24 * KIB);
        source.tag(keep.manifest(), "keep");
        source.tag(doomed.manifest(), "doomed");

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String repo = "docker://" + registry.hostPort() + "/e2e/delete";
                Skopeo.copy("oci:" + source.dir() + ":keep", repo + ":keep", "--preserve-digests");
                Skopeo.copy("oci:" + source.dir() + ":doomed", repo + ":doomed", "--preserve-digests");
                Skopeo.copy("oci:" + source.dir() + ":doomed", repo + ":doomed-too", "--preserve-digests");
                assertEquals(List.of("doomed", "doomed-too", "keep"), Skopeo.listTags(repo).stream().sorted().toList());

                // skopeo resolves the tag and deletes the manifest by digest
                Cli.of(Skopeo.BINARY, "--insecure-policy", "delete", "--tls-verify=false", repo + ":doomed").check();

                assertEquals(List.of("keep"), Skopeo.listTags(repo), "tags of the deleted manifest are gone");
                Cli.Result gone = Cli.of(Skopeo.BINARY, "--insecure-policy", "inspect", "--raw", "--tls-verify=false",
                        repo + "@" + doomed.manifest().digest()).run();
                assertTrue(!gone.ok() && gone.stderr().contains("manifest unknown"),
                        () -> "deleted manifest must be unknown:\n" + gone.describe());
                assertEquals(404, registry.get("/v2/e2e/delete/manifests/doomed-too", OciLayoutBuilder.OCI_MANIFEST)
                        .statusCode());
                assertArrayEquals(keep.manifestBytes(), Skopeo.inspectRaw(repo + ":keep"), "other manifest untouched");
            });
        }
    }

    static List<String> repositories(RegistryUnderTest registry) throws Exception {
        List<String> names = new ArrayList<>();
        registry.getJson("/v2/_catalog").path("repositories").forEach(name -> names.add(name.asText()));
        return names;
    }
}

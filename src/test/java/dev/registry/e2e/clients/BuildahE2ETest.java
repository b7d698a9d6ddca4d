package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * buildah builds images without a daemon. The test pushes an image built from scratch, then
 * builds a Containerfile whose {@code FROM} names that image, so buildah pulls its base from the
 * registry under test and, when it pushes the result, mounts the base's layer from the base's
 * repository instead of uploading it again. Last it pushes a manifest list of both with
 * {@code --all}. Every manifest and blob pushed is read back by digest, the files given to buildah
 * are found in the layers' bytes, and the result is pulled into an empty store.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BuildahE2ETest {
    private static final String BINARY = "buildah";
    private static final String MANIFEST_TYPES = OciLayoutBuilder.OCI_MANIFEST + ", " + OciLayoutBuilder.DOCKER_MANIFEST;
    private static final String INDEX_TYPES = OciLayoutBuilder.OCI_INDEX + ", " + OciLayoutBuilder.DOCKER_MANIFEST_LIST;

    @Test
    void buildsOnABasePulledFromTheRegistryAndPushesImagesAndAList() throws Exception {
        Cli.assumeTools(BINARY);
        Path work = RegistryProcess.workDir("buildah");
        Path context = Files.createDirectories(work.resolve("context"));
        byte[] payload = OciLayoutBuilder.randomBytes(300_000);
        Files.write(context.resolve("payload.bin"), payload);
        byte[] motd = "built by buildah on a base pulled from the registry under test\n".getBytes(UTF_8);
        Files.write(context.resolve("motd"), motd);
        Buildah buildah = new Buildah(PrivateContainersStorage.create(work.resolve("buildah")));
        Buildah fresh = new Buildah(PrivateContainersStorage.create(work.resolve("fresh")));

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String base = registry.hostPort() + "/e2e/buildah-base:1";
                String container = buildah.run("from", "scratch").check().stdout().trim();
                buildah.run("copy", container, context.resolve("payload.bin").toString(), "/payload.bin").check();
                buildah.run("config", "--entrypoint", "[\"/payload.bin\"]", "--env", "STAGE=base", container).check();
                buildah.run("commit", container, "base-local").check();
                String baseDigest = buildah.push("base-local", base);

                JsonNode baseManifest = checkImage(registry, "e2e/buildah-base", "1", baseDigest);
                assertEquals(1, baseManifest.path("layers").size(), "one layer: the copied file");
                String baseLayer = baseManifest.path("layers").get(0).path("digest").asText();
                assertTrue(E2eAssertions.containsBytes(layerTar(registry, "e2e/buildah-base", baseLayer), payload),
                        "payload.bin inside the base's layer");

                // the base must come back from the registry, not from buildah's store
                buildah.run("rm", "--all").check();
                buildah.run("rmi", "--all", "--force").check();
                Files.writeString(context.resolve("Containerfile"), """
                        FROM %s
                        COPY motd /etc/motd
                        LABEL org.example.stage=app
                        """.formatted(base));
                String app = registry.hostPort() + "/e2e/buildah-app:1";
                buildah.run("bud", "--tls-verify=false", "-f", context.resolve("Containerfile").toString(), "-t", app,
                        context.toString()).check();
                assertTrue(accessLogHas(registry, "GET", 200, "/v2/e2e/buildah-base/blobs/" + baseLayer),
                        "buildah pulled the base's layer from the registry");
                String appDigest = buildah.push(app, app);

                JsonNode appManifest = checkImage(registry, "e2e/buildah-app", "1", appDigest);
                assertEquals(2, appManifest.path("layers").size(), "the base's layer and the COPY");
                assertEquals(baseLayer, appManifest.path("layers").get(0).path("digest").asText(), "the base's layer, reused");
                assertTrue(accessLogHas(registry, "POST", 201, "/v2/e2e/buildah-app/blobs/uploads/?",
                                "mount=" + baseLayer.replace(":", "%3A")),
                        "buildah mounted the base's layer from e2e/buildah-base instead of uploading it again");
                String copyLayer = appManifest.path("layers").get(1).path("digest").asText();
                assertTrue(E2eAssertions.containsBytes(layerTar(registry, "e2e/buildah-app", copyLayer), motd), "motd inside the COPY's layer");
                JsonNode config = registry.getJson("/v2/e2e/buildah-app/blobs/" + appManifest.path("config").path("digest").asText());
                assertEquals("/payload.bin", config.path("config").path("Entrypoint").path(0).asText(), "inherited from the base");
                assertTrue(config.path("config").path("Env").toString().contains("STAGE=base"), config.toString());
                assertEquals("app", config.path("config").path("Labels").path("org.example.stage").asText());

                // a manifest list of both images, pushed with the images it names
                buildah.run("manifest", "create", "both").check();
                buildah.run("manifest", "add", "--os", "linux", "--arch", "arm64", "both", "containers-storage:" + app).check();
                buildah.run("manifest", "add", "--os", "linux", "--arch", "amd64", "both", "containers-storage:" + base).check();
                Path listDigestFile = buildah.storage().tmp().resolve("list.digest");
                buildah.run("manifest", "push", "--all", "--tls-verify=false", "--digestfile", listDigestFile.toString(),
                        "both", "docker://" + registry.hostPort() + "/e2e/buildah-list:1").check();
                String listDigest = Files.readString(listDigestFile).trim();
                HttpResponse<byte[]> list = registry.get("/v2/e2e/buildah-list/manifests/1", INDEX_TYPES);
                assertEquals(200, list.statusCode());
                assertEquals(listDigest, list.headers().firstValue("Docker-Content-Digest").orElse(null));
                assertEquals(listDigest, OciLayoutBuilder.sha256(list.body()));
                Map<String, String> platforms = new TreeMap<>();
                for (JsonNode entry : OciLayoutBuilder.JSON.readTree(list.body()).path("manifests")) {
                    platforms.put(entry.path("platform").path("architecture").asText(), entry.path("digest").asText());
                }
                assertEquals(Map.of("arm64", appDigest, "amd64", baseDigest), platforms, "the list names both images");
                for (String digest : Set.of(appDigest, baseDigest)) {
                    checkImage(registry, "e2e/buildah-list", digest, digest);
                }

                // an empty store pulls the built image by digest
                fresh.run("pull", "--tls-verify=false", registry.hostPort() + "/e2e/buildah-app@" + appDigest).check();
                String pulled = fresh.run("inspect", "--type", "image", "--format", "{{.FromImageID}} {{.FromImageDigest}}",
                        registry.hostPort() + "/e2e/buildah-app@" + appDigest).check().stdout().trim();
                assertEquals(appManifest.path("config").path("digest").asText().substring("sha256:".length()) + " " + appDigest,
                        pulled, "image id and digest after the pull");
            });
        } finally {
            buildah.cleanUp();
            fresh.cleanUp();
        }
    }

    /**
     * Fetches {@code repository:reference}, checks the digest the registry and its bytes give, then
     * every blob the manifest names by size and digest; returns the manifest.
     */
    private static JsonNode checkImage(RegistryUnderTest registry, String repository, String reference, String digest)
            throws Exception {
        HttpResponse<byte[]> response = registry.get("/v2/" + repository + "/manifests/" + reference, MANIFEST_TYPES);
        assertEquals(200, response.statusCode(), repository + ":" + reference);
        assertEquals(digest, response.headers().firstValue("Docker-Content-Digest").orElse(null));
        assertEquals(digest, OciLayoutBuilder.sha256(response.body()), "the manifest's bytes hash to the digest buildah reported");
        JsonNode manifest = OciLayoutBuilder.JSON.readTree(response.body());
        List<JsonNode> blobs = new ArrayList<>();
        blobs.add(manifest.path("config"));
        manifest.path("layers").forEach(blobs::add);
        for (JsonNode blob : blobs) {
            HttpResponse<byte[]> content = registry.get("/v2/" + repository + "/blobs/" + blob.path("digest").asText(), null);
            assertEquals(200, content.statusCode(), blob.toString());
            assertEquals(blob.path("size").asLong(), content.body().length, blob.toString());
            assertEquals(blob.path("digest").asText(), OciLayoutBuilder.sha256(content.body()));
        }
        return manifest;
    }

    /** The tar stream of layer {@code digest} of {@code repository}, fetched from the registry. */
    private static byte[] layerTar(RegistryUnderTest registry, String repository, String digest) throws Exception {
        return E2eAssertions.layerTar(registry.get("/v2/" + repository + "/blobs/" + digest, null).body());
    }

    /**
     * Whether one of the server's access log lines is a {@code method} request for a target that
     * holds every one of {@code targetParts} and answered {@code status}. Both our access log and
     * registry:2's (with {@code -De2e.registry=docker-registry}) are understood.
     */
    private static boolean accessLogHas(RegistryUnderTest registry, String method, int status, String... targetParts) {
        return registry.output().lines().anyMatch(line ->
                (line.contains("\"" + method + " /v2/") || line.contains("http.request.method=" + method + " "))
                        && (line.contains("\" " + status + " ") || line.contains("http.response.status=" + status + " "))
                        && Arrays.stream(targetParts).allMatch(line::contains));
    }

    /** buildah on a {@link PrivateContainersStorage}. */
    private record Buildah(PrivateContainersStorage storage) {
        Cli run(String... args) {
            List<String> command = new ArrayList<>(List.of(BINARY));
            command.addAll(storage.flags());
            command.addAll(List.of(args));
            return Cli.of(command).env(storage.environment()).env("BUILDAH_ISOLATION", "chroot")
                    .timeout(Duration.ofMinutes(4));
        }

        /** Pushes the local image {@code source} to {@code destination}; returns the digest buildah reports. */
        String push(String source, String destination) throws IOException {
            Path digestFile = Files.createTempFile(storage.tmp(), "push-", ".digest");
            run("push", "--tls-verify=false", "--digestfile", digestFile.toString(), source, "docker://" + destination).check();
            return Files.readString(digestFile).trim();
        }

        /** Removes containers and images (so the vfs copies do not pile up) and the /tmp directory. */
        void cleanUp() {
            run("rm", "--all").run();
            run("rmi", "--all", "--force").run();
            storage.removeRunDirectory();
        }
    }
}

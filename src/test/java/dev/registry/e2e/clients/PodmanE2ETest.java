package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * podman loads a locally built OCI layout, pushes it to the registry and pulls it back. Podman
 * runs on a {@link PrivateContainersStorage}, so the machine's own images are never touched.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PodmanE2ETest {
    private static final String BINARY = "podman";

    @Test
    void pushAndPullImageLoadedFromOciLayout() throws Exception {
        Cli.assumeTools(BINARY);
        Path work = RegistryProcess.workDir("podman");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        OciLayoutBuilder.Image image = source.image("linux", "amd64", 64 * 1024, 1024 * 1024);
        source.tag(image.manifest(), "v1");
        Podman podman = new Podman(work.resolve("podman"));

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            withServerLog(registry, () -> {
                String loaded = podman.run("pull", "oci:" + source.dir() + ":v1").check().stdout().trim();
                assertEquals(image.config().digest(), "sha256:" + loaded, "podman's image id is the config digest");

                String name = registry.hostPort() + "/e2e/podman";
                Path digestFile = work.resolve("pushed.digest");
                podman.run("push", "--tls-verify=false", "--digestfile", digestFile.toString(), loaded,
                        "docker://" + name + ":v1").check();
                String pushed = Files.readString(digestFile).trim();

                HttpResponse<byte[]> manifest = registry.get("/v2/e2e/podman/manifests/v1",
                        OciLayoutBuilder.OCI_MANIFEST + ", " + OciLayoutBuilder.DOCKER_MANIFEST);
                assertEquals(200, manifest.statusCode());
                assertEquals(pushed, manifest.headers().firstValue("Docker-Content-Digest").orElse(null));
                assertEquals(pushed, OciLayoutBuilder.sha256(manifest.body()));
                assertEquals(image.config().digest(),
                        OciLayoutBuilder.JSON.readTree(manifest.body()).path("config").path("digest").asText(),
                        "pushed manifest references the same config");

                podman.run("rmi", "-f", loaded).check();
                assertFalse(podman.run("image", "exists", loaded).run().ok(), "image removed before the pull");

                podman.run("pull", "--tls-verify=false", name + ":v1").check();
                assertEquals(loaded, podman.inspect(name + ":v1", "{{.Id}}"), "image id after pull");
                assertEquals(pushed, podman.inspect(name + ":v1", "{{.Digest}}"), "image digest after pull");
                List<String> diffIds = new ArrayList<>();
                JsonNode layers = OciLayoutBuilder.JSON.readTree(podman.inspect(name + ":v1", "{{json .RootFS.Layers}}"));
                layers.forEach(layer -> diffIds.add(layer.asText()));
                assertEquals(image.diffIds(), diffIds, "layers after pull");

                podman.run("rmi", "-f", loaded).check();
                podman.run("pull", "--tls-verify=false", name + "@" + pushed).check();
                assertEquals(loaded, podman.inspect(name + "@" + pushed, "{{.Id}}"), "image id pulled by digest");
            });
        } finally {
            podman.cleanUp();
        }
    }

    /** podman on a {@link PrivateContainersStorage}. */
    private record Podman(PrivateContainersStorage storage) {
        Podman(Path dir) {
            this(PrivateContainersStorage.create(dir));
        }

        Cli run(String... args) {
            List<String> command = new ArrayList<>(List.of(BINARY));
            command.addAll(storage.flags());
            command.addAll(List.of("--tmpdir", storage.tmp().toString(), "--cgroup-manager", "cgroupfs",
                    "--events-backend", "none"));
            command.addAll(List.of(args));
            return Cli.of(command).env(storage.environment()).timeout(Duration.ofMinutes(4));
        }

        String inspect(String image, String format) {
            return run("image", "inspect", "--format", format, image).check().stdout().trim();
        }

        /** Removes the images (so the vfs copies do not pile up) and the /tmp directory. */
        void cleanUp() {
            run("rmi", "-a", "-f").run();
            storage.removeRunDirectory();
        }
    }
}

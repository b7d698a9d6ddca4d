package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The docker engine imports a local rootfs, pushes it to the registry and pulls it back. */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DockerE2ETest {
    private static final Pattern PUSHED = Pattern.compile("(\\S+): digest: (sha256:[0-9a-f]{64}) size: (\\d+)");

    @Test
    void importPushRemovePullAndPullByDigest() throws Exception {
        Path work = RegistryProcess.workDir("docker");
        DockerEngine engine = DockerEngine.require(work);
        String nonce = HexFormat.of().formatHex(OciLayoutBuilder.randomBytes(4));
        List<String> created = new ArrayList<>();

        try (RegistryUnderTest registry = RegistryUnderTest.start(work.resolve("storage"))) {
            String repo = registry.hostPort() + "/e2e/docker-" + nonce;
            try {
                withServerLog(registry, () -> {
                    // latest: import, push, forget, pull back
                    Path rootfs = writeRootfs(work.resolve("rootfs.tar"), nonce, 96 * 1024);
                    String latest = repo + ":latest";
                    created.add(latest);
                    String imageId = engine.docker("import", rootfs.toString(), latest).check().stdout().trim();
                    assertTrue(imageId.startsWith("sha256:"), "docker import prints the image id: " + imageId);
                    List<String> layers = layers(engine, latest);
                    assertEquals(List.of(OciLayoutBuilder.sha256(rootfs)), layers,
                            "the imported layer's diff id is the sha256 of the rootfs tar");

                    String digest = pushedDigest(engine.docker("push", latest).check(), "latest");
                    HttpResponse<byte[]> manifest = registry.get("/v2/e2e/docker-" + nonce + "/manifests/latest",
                            OciLayoutBuilder.DOCKER_MANIFEST);
                    assertEquals(200, manifest.statusCode());
                    assertEquals(digest, manifest.headers().firstValue("Docker-Content-Digest").orElse(null));
                    assertEquals(OciLayoutBuilder.DOCKER_MANIFEST, manifest.headers().firstValue("Content-Type").orElse(null));

                    engine.docker("rmi", latest).check();
                    assertFalse(engine.docker("image", "inspect", latest).run().ok(), "image removed before the pull");
                    engine.docker("pull", latest).check();
                    assertEquals(imageId, inspect(engine, latest, "{{.Id}}"), "image id after pull");
                    assertEquals(layers, layers(engine, latest), "layers after pull");
                    assertEquals(repo + "@" + digest, inspect(engine, latest, "{{index .RepoDigests 0}}"));
                    assertSavedImage(engine, latest, work.resolve("saved"), imageId, layers);

                    // the same image in another repository: docker mounts the layer instead of uploading it
                    String copy = registry.hostPort() + "/e2e/docker-" + nonce + "-copy:latest";
                    created.add(copy);
                    engine.docker("tag", latest, copy).check();
                    Cli.Result copyPush = engine.docker("push", copy).check();
                    assertEquals(digest, pushedDigest(copyPush, "latest"), "same manifest in the other repository");
                    assertTrue(copyPush.stdout().contains("Mounted from e2e/docker-" + nonce),
                            () -> "docker mounts the existing layer across repositories:\n" + copyPush.describe());

                    // second tag, a different image: push, forget, pull by digest
                    Path rootfs2 = writeRootfs(work.resolve("rootfs2.tar"), nonce + "-second", 48 * 1024);
                    String second = repo + ":second";
                    created.add(second);
                    String secondId = engine.docker("import", rootfs2.toString(), second).check().stdout().trim();
                    String secondDigest = pushedDigest(engine.docker("push", second).check(), "second");
                    assertFalse(secondDigest.equals(digest), "a different image has a different manifest");
                    assertEquals(repo + "@" + secondDigest, inspect(engine, second, "{{index .RepoDigests 0}}"));
                    engine.docker("rmi", second).check();
                    String byDigest = repo + "@" + secondDigest;
                    created.add(byDigest);
                    engine.docker("pull", byDigest).check();
                    assertEquals(secondId, inspect(engine, byDigest, "{{.Id}}"), "image id pulled by digest");
                    assertEquals(List.of(OciLayoutBuilder.sha256(rootfs2)), layers(engine, byDigest));

                    JsonNode tags = registry.getJson("/v2/e2e/docker-" + nonce + "/tags/list");
                    List<String> names = new ArrayList<>();
                    tags.path("tags").forEach(tag -> names.add(tag.asText()));
                    assertEquals(List.of("latest", "second"), names.stream().sorted().toList());
                });
            } finally {
                for (String image : created) {
                    engine.docker("rmi", "-f", image).run();
                }
            }
        }
    }

    /** A rootfs tar with a couple of files, unique to {@code nonce}. */
    private static Path writeRootfs(Path file, String nonce, int randomSize) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("etc/e2e-release", ("e2e image " + nonce + "\n").getBytes(StandardCharsets.UTF_8));
        files.put("usr/share/e2e/random.bin", OciLayoutBuilder.randomBytes(randomSize));
        Files.write(file, OciLayoutBuilder.tar(files));
        return file;
    }

    private static String pushedDigest(Cli.Result push, String tag) {
        Matcher matcher = PUSHED.matcher(push.stdout());
        assertTrue(matcher.find(), () -> "no digest in docker push output:\n" + push.describe());
        assertEquals(tag, matcher.group(1));
        return matcher.group(2);
    }

    private static String inspect(DockerEngine engine, String image, String format) {
        return engine.docker("image", "inspect", "--format", format, image).check().stdout().trim();
    }

    private static List<String> layers(DockerEngine engine, String image) throws Exception {
        JsonNode json = OciLayoutBuilder.JSON.readTree(inspect(engine, image, "{{json .RootFS.Layers}}"));
        List<String> layers = new ArrayList<>();
        json.forEach(layer -> layers.add(layer.asText()));
        return layers;
    }

    /** {@code docker save}: the archive's config is the image id and its layer tars hash to the diff ids. */
    private static void assertSavedImage(DockerEngine engine, String image, Path dir, String imageId,
                                         List<String> diffIds) throws Exception {
        Files.createDirectories(dir);
        Path archive = dir.resolve("image.tar");
        engine.docker("save", "-o", archive.toString(), image).check();
        Cli.of("tar", "-xf", archive.toString(), "-C", dir.toString()).check();
        JsonNode manifest = OciLayoutBuilder.JSON.readTree(dir.resolve("manifest.json").toFile()).get(0);
        assertEquals(imageId, OciLayoutBuilder.sha256(dir.resolve(manifest.path("Config").asText())),
                "docker save: config digest is the image id");
        List<String> saved = new ArrayList<>();
        for (JsonNode layer : manifest.path("Layers")) {
            saved.add(OciLayoutBuilder.sha256(dir.resolve(layer.asText())));
        }
        assertEquals(diffIds, saved, "docker save: layer tars match the diff ids");
    }
}

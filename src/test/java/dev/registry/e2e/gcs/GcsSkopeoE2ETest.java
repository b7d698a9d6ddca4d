package dev.registry.e2e.gcs;

import static dev.registry.e2e.clients.E2eAssertions.assertImageInLayout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.OciLayoutBuilder;
import dev.registry.e2e.clients.Skopeo;
import dev.registry.storage.driver.gcs.FakeGcsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged server on {@code storage.gcs}, against {@link FakeGcsServer} in this JVM: skopeo
 * pushes an image and pulls it back byte for byte; the bucket holds it in registry:2's layout under
 * the root directory; a second server on the same bucket (another replica) serves it too, with
 * blob GETs redirected to V4 signed URLs that the fake verifies against the service account's key.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GcsSkopeoE2ETest {
    private static final int KIB = 1024;
    private static final String BUCKET = "e2e-registry";
    private static FakeGcsServer fake;
    private static FakeGcsServer.ServiceAccount account;

    @BeforeAll
    static void startFake() throws Exception {
        fake = FakeGcsServer.start();
        fake.requireCredentials();
        fake.createBucket(BUCKET);
        account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
    }

    @AfterAll
    static void stopFake() {
        if (fake != null) {
            fake.close();
        }
    }

    @BeforeEach
    void requireSkopeo() {
        Cli.assumeTools(Skopeo.BINARY);
    }

    private static RegistryProcess startOnGcs(Path work, String name) throws Exception {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        Path key = Files.writeString(dir.resolve("key.json"), account.json());
        int port = RegistryProcess.freePort();
        Path config = Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: info
                http:
                  addr: 127.0.0.1:%d
                storage:
                  gcs:
                    bucket: %s
                    keyfile: %s
                    rootdirectory: /e2e/registry
                    chunksize: 262144
                  delete:
                    enabled: true
                """.formatted(port, BUCKET, key));
        return RegistryProcess.startWithConfig(config, port,
                Map.of("REGISTRY_STORAGE_GCS_ENDPOINT", fake.endpoint().toString()), Duration.ofSeconds(120));
    }

    @Test
    void skopeoPushesAndPullsThroughGcsAndAnotherReplicaServesIt() throws Exception {
        Path work = RegistryProcess.workDir("gcs-skopeo");
        OciLayoutBuilder source = new OciLayoutBuilder(work.resolve("source"));
        // layers below, at and well above the 256 KiB chunk size, so uploads take several resumable requests
        OciLayoutBuilder.Image image = source.image("linux", "amd64", KIB, 256 * KIB, 3 * KIB * KIB + 5);
        source.tag(image.manifest(), "v1");

        try (RegistryProcess first = startOnGcs(work, "replica-1"); RegistryProcess second = startOnGcs(work, "replica-2")) {
            String pushTo = "docker://" + first.hostPort() + "/e2e/gcs";
            try {
                Skopeo.copy("oci:" + source.dir() + ":v1", pushTo + ":v1", "--preserve-digests");
                assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(pushTo + ":v1"));
            } catch (Throwable failure) {
                failure.addSuppressed(new AssertionError("server log:\n" + first.output()));
                throw failure;
            }

            List<String> objects = fake.objectNames(BUCKET);
            assertTrue(objects.stream().allMatch(name -> name.startsWith("e2e/registry/docker/registry/v2/")), objects.toString());
            for (String digest : image.blobDigests()) {
                String hex = digest.substring("sha256:".length());
                String data = "e2e/registry/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
                assertTrue(objects.contains(data), data + " in " + objects);
            }
            assertTrue(objects.contains("e2e/registry/docker/registry/v2/repositories/e2e/gcs/_manifests/tags/v1/current/link"),
                    objects.toString());
            assertTrue(objects.stream().noneMatch(name -> name.contains("/.part-")), "upload parts left behind: " + objects);

            // another replica on the same bucket serves the image: pull it from there; blob GETs are
            // redirected (307) to V4 signed URLs, which skopeo follows to the fake, which checks them
            long signedBefore = fake.count("signed-url");
            String pullFrom = "docker://" + second.hostPort() + "/e2e/gcs";
            assertEquals(List.of("v1"), Skopeo.listTags(pullFrom));
            Path out = work.resolve("out");
            try {
                Skopeo.copy(pullFrom + ":v1", "oci:" + out + ":v1", "--preserve-digests");
            } catch (Throwable failure) {
                failure.addSuppressed(new AssertionError("server log:\n" + second.output()));
                throw failure;
            }
            assertImageInLayout(out, "v1", source.dir(), image);
            assertTrue(fake.count("signed-url") - signedBefore >= image.blobDigests().size(),
                    "blob pulls went through signed URLs: " + (fake.count("signed-url") - signedBefore));
            assertEquals(0, fake.count("signed-url.refused"));
            assertTrue(second.output().contains("\" 307 "), "the second replica answered blob GETs with 307");
        }
    }
}

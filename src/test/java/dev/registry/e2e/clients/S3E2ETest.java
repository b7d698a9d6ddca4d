package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.RegistryProcess;
import dev.registry.storage.driver.s3.S3ProxyServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged server on {@code storage.s3} against a real S3 server (s3proxy in its own JVM):
 * skopeo and docker push and pull with blob GETs redirected to pre-signed URLs that s3proxy
 * serves, and CNCF Distribution ({@code docker-registry} 2.8 with its s3 driver) sharing the
 * bucket and root directory both ways.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class S3E2ETest {
    private static final String ROOT = "/shared/registry";
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start(RegistryProcess.workDir("s3proxy"), "384m");
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void requireTools() {
        Cli.assumeTools(Skopeo.BINARY);
    }

    /** Our packaged server on {@code bucket}, with parts of 5 MiB so that small images span several. */
    static RegistryUnderTest ours(Path work, String bucket, boolean redirect) throws Exception {
        return ours(work, bucket, redirect, Map.of());
    }

    /** As {@link #ours(Path, String, boolean)}, with {@code env} added to the server's environment. */
    static RegistryUnderTest ours(Path work, String bucket, boolean redirect, Map<String, String> env) throws Exception {
        int port = RegistryProcess.freePort();
        Path dir = Files.createDirectories(work.resolve("ours-" + port));
        Path config = RegistryProcess.writeConfig(dir, port, RegistryProcess.s3Storage(s3, bucket, ROOT, redirect), "");
        RegistryProcess process = RegistryProcess.startWithConfig(config, port, env);
        return RegistryUnderTest.of(process, "registry-server.jar on s3 bucket " + bucket + " at " + process.hostPort());
    }

    /** docker-registry 2.8 on {@code bucket}: its s3 driver, path-style because a regionendpoint is given. */
    static DistributionRegistry reference(Path work, String bucket) throws Exception {
        return reference(work, bucket, null);
    }

    /** As {@link #reference(Path, String)}, with {@code http.secret} set unless {@code secret} is null. */
    static DistributionRegistry reference(Path work, String bucket, String secret) throws Exception {
        return DistributionRegistry.start(work.resolve("docker-registry"), """
                storage:
                  s3:
                    accesskey: %s
                    secretkey: %s
                    region: %s
                    regionendpoint: %s
                    bucket: %s
                    rootdirectory: %s
                    secure: false
                    v4auth: true
                  delete:
                    enabled: true
                  redirect:
                    disable: true
                """.formatted(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, S3ProxyServer.REGION,
                s3.endpoint(), bucket, ROOT), secret);
    }

    /**
     * {@link MixedFleetUploadE2ETest} on one bucket: one upload alternates between ours and
     * registry:2, each continuing the other's multipart upload and hash state, with chunks below
     * S3's 5 MiB part minimum (each continuation first completes the short part) and with chunks of
     * whole parts.
     */
    @Test
    void oneUploadAlternatesBetweenOursAndDockerRegistryOnOneBucket() throws Exception {
        Cli.assumeTools(DistributionRegistry.BINARY);
        Path work = RegistryProcess.workDir("s3-mixed-fleet");
        String bucket = s3.createBucket("mixed");
        String secret = MixedFleetUploadE2ETest.SECRET;
        try (RegistryUnderTest ours = ours(work, bucket, false, Map.of("REGISTRY_HTTP_SECRET", secret));
             DistributionRegistry reference = reference(work, bucket, secret)) {
            String oursUrl = ours.baseUrl();
            String referenceUrl = reference.baseUrl();
            int mib = 1024 * 1024;
            withServerLog(ours, () -> withServerLog(reference, () -> {
                MixedFleetUploadE2ETest.uploadAlternating("mixed/short", 1, List.of(oursUrl, referenceUrl, oursUrl, referenceUrl),
                        new int[] {0, mib + 3, 2 * mib + 11, 3 * mib + 4097});
                MixedFleetUploadE2ETest.uploadAlternating("mixed/short", 2, List.of(referenceUrl, oursUrl, referenceUrl, oursUrl),
                        new int[] {0, mib + 3, 2 * mib + 11, 3 * mib + 4097});
                // registry:2 takes two chunks in a row: its second completes the first upload to continue
                // past the short part, and ours, which opened that upload empty, must see that at the PUT
                MixedFleetUploadE2ETest.uploadAlternating("mixed/short", 5, List.of(oursUrl, referenceUrl, referenceUrl, oursUrl),
                        new int[] {0, mib + 3, 2 * mib + 11, 3 * mib + 4097});
                MixedFleetUploadE2ETest.uploadAlternating("mixed/parts", 3, List.of(oursUrl, referenceUrl, oursUrl, referenceUrl),
                        new int[] {0, 6 * mib, 12 * mib, 13 * mib + 5});
                MixedFleetUploadE2ETest.uploadAlternating("mixed/parts", 4, List.of(referenceUrl, oursUrl, referenceUrl, oursUrl),
                        new int[] {0, 6 * mib, 12 * mib, 13 * mib + 5});
            }));
        }
    }

    @Test
    void skopeoPushesAndPullsThroughRedirectsToPresignedUrls() throws Exception {
        Path work = RegistryProcess.workDir("s3-skopeo");
        String bucket = s3.createBucket("skopeo");
        DistributionLayoutCompatE2ETest.Fixture fixture = new DistributionLayoutCompatE2ETest.Fixture(work);
        try (RegistryUnderTest registry = ours(work, bucket, true)) {
            withServerLog(registry, () -> {
                fixture.push(registry);
                // the blobs are objects under registry:2's keys in the bucket
                String layer = fixture.image.layers().get(2).digest();
                String hex = layer.substring("sha256:".length());
                assertTrue(s3.filesOf(bucket).stream().anyMatch(f -> f.toString().endsWith(
                        "shared/registry/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data")),
                        "layer stored under the registry:2 key");
                // a blob GET is a redirect to a pre-signed URL on the S3 server, which serves the bytes
                try (HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()) {
                    HttpResponse<byte[]> redirect = http.send(HttpRequest.newBuilder(
                            URI.create(registry.baseUrl() + "/v2/e2e/compat/app/blobs/" + layer)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(307, redirect.statusCode());
                    String location = redirect.headers().firstValue("Location").orElseThrow();
                    assertTrue(location.startsWith(s3.endpoint() + "/" + bucket + "/shared/registry/docker/registry/v2/blobs/"), location);
                    assertTrue(location.contains("X-Amz-Signature="), location);
                    HttpResponse<byte[]> served = http.send(HttpRequest.newBuilder(URI.create(location)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, served.statusCode());
                    assertEquals(layer, "sha256:" + HexFormat.of().formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(served.body())));
                }
                // skopeo follows the redirects
                fixture.verify(registry, work.resolve("out"));
            });
        }
    }

    @Test
    void dockerPushesAndPullsThroughRedirectsToPresignedUrls() throws Exception {
        Path work = RegistryProcess.workDir("s3-docker");
        DockerEngine engine = DockerEngine.require(work);
        String nonce = HexFormat.of().formatHex(OciLayoutBuilder.randomBytes(4));
        try (RegistryUnderTest registry = ours(work, s3.createBucket("docker"), true)) {
            String image = registry.hostPort() + "/e2e/s3-docker-" + nonce + ":latest";
            try {
                withServerLog(registry, () -> {
                    Path rootfs = work.resolve("rootfs.tar");
                    Files.write(rootfs, OciLayoutBuilder.tar(Map.of(
                            "etc/e2e-release", ("s3 image " + nonce + "\n").getBytes(StandardCharsets.UTF_8),
                            "usr/share/e2e/random.bin", OciLayoutBuilder.randomBytes(7 * 1024 * 1024))));
                    String imageId = engine.docker("import", rootfs.toString(), image).check().stdout().trim();
                    Cli.Result push = engine.docker("push", image).check();
                    assertTrue(push.stdout().contains("digest: sha256:"), push.describe());
                    engine.docker("rmi", image).check();
                    assertFalse(engine.docker("image", "inspect", image).run().ok(), "image removed before the pull");
                    engine.docker("pull", image).check();
                    assertEquals(imageId, engine.docker("image", "inspect", "--format", "{{.Id}}", image)
                            .check().stdout().trim(), "the pulled image is the pushed one");
                    assertEquals("[\"" + OciLayoutBuilder.sha256(rootfs) + "\"]", engine.docker("image", "inspect",
                            "--format", "{{json .RootFS.Layers}}", image).check().stdout().trim(),
                            "the pulled layer is the rootfs tar");
                });
            } finally {
                engine.docker("rmi", "-f", image).run();
            }
        }
    }

    @Test
    void contentPushedByDockerRegistryOnS3IsServedByOursFromTheSameBucket() throws Exception {
        Cli.assumeTools(DistributionRegistry.BINARY);
        Path work = RegistryProcess.workDir("s3-from-distribution");
        String bucket = s3.createBucket("from-reference");
        DistributionLayoutCompatE2ETest.Fixture fixture = new DistributionLayoutCompatE2ETest.Fixture(work);
        try (RegistryUnderTest reference = reference(work, bucket)) {
            withServerLog(reference, () -> fixture.push(reference));
        }
        try (RegistryUnderTest registry = ours(work, bucket, false)) {
            withServerLog(registry, () -> fixture.verify(registry, work.resolve("out")));
        }
    }

    @Test
    void contentPushedByOursIsServedByDockerRegistryFromTheSameBucket() throws Exception {
        Cli.assumeTools(DistributionRegistry.BINARY);
        Path work = RegistryProcess.workDir("s3-to-distribution");
        String bucket = s3.createBucket("to-reference");
        DistributionLayoutCompatE2ETest.Fixture fixture = new DistributionLayoutCompatE2ETest.Fixture(work);
        try (RegistryUnderTest registry = ours(work, bucket, true)) {
            withServerLog(registry, () -> fixture.push(registry));
        }
        assertEquals(List.of(), s3.filesOf(bucket).stream().map(Path::toString)
                .filter(f -> f.contains("/_uploads/")).toList(), "no upload left behind in the bucket");
        try (RegistryUnderTest reference = reference(work, bucket)) {
            withServerLog(reference, () -> fixture.verify(reference, work.resolve("out")));
        }
    }
}

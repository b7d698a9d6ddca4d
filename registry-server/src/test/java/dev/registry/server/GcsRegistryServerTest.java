package dev.registry.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.GcsConfig;
import dev.registry.config.RegistryConfig;
import java.net.URI;
import dev.registry.storage.driver.gcs.FakeGcsServer;
import dev.registry.storage.driver.gcs.GcsDriver;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same push and pull flows as {@link RegistryServerTest} on {@code storage.gcs}, through the
 * real google-cloud-storage client, against {@link FakeGcsServer} with a service-account key and a
 * 256 KiB chunk size (so chunked uploads span several resumable-upload requests and compose), with
 * redirects off so that the registry serves the bytes; one test adds a redirecting replica.
 */
class GcsRegistryServerTest extends RegistryServerTest {
    private static FakeGcsServer fake;

    @BeforeAll
    static void start() throws Exception {
        fake = FakeGcsServer.start();
        fake.requireCredentials();
        fake.createBucket("registry-flows");
        FakeGcsServer.ServiceAccount account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
        gcsConfig = new GcsConfig("registry-flows", Optional.empty(), Optional.of(account.json()), "flows",
                GcsConfig.CHUNK_GRANULARITY, Optional.of(fake.endpoint()));
        server = RegistryServer.start(config(gcsConfig, true));
        base = "http://127.0.0.1:" + server.port();
    }

    private static GcsConfig gcsConfig;

    /** The shared flows read blob bytes from the registry, so this server does not redirect. */
    private static RegistryConfig config(GcsConfig gcs, boolean redirectDisabled) {
        return TestServers.config(gcs, redirectDisabled);
    }

    /**
     * A second server on the same bucket with redirects on (registry:2's default) answers a blob
     * GET with 307 to a V4 signed URL, which serves the bytes straight from the bucket.
     */
    @Test
    void anotherReplicaRedirectsBlobPullsToSignedUrls() throws Exception {
        byte[] blob = "a blob pulled through a signed URL".getBytes(StandardCharsets.UTF_8);
        String digest = sha256(blob);
        assertEquals(201, send(request("/v2/gcs/redirect/blobs/uploads/?digest=" + digest)
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))).statusCode());
        RegistryServer redirecting = RegistryServer.start(config(gcsConfig, false));
        try {
            HttpResponse<byte[]> answer = send(request("http://127.0.0.1:" + redirecting.port()
                    + "/v2/gcs/redirect/blobs/" + digest));
            assertEquals(307, answer.statusCode());
            URI location = URI.create(answer.headers().firstValue("Location").orElseThrow());
            assertEquals(fake.endpoint().getAuthority(), location.getAuthority());
            assertTrue(location.getQuery().contains("X-Goog-Signature="), location.toString());
            HttpResponse<byte[]> fromBucket = send(request(location.toString()));
            assertEquals(200, fromBucket.statusCode());
            assertArrayEquals(blob, fromBucket.body());
            HttpResponse<byte[]> head = send(request("http://127.0.0.1:" + redirecting.port()
                    + "/v2/gcs/redirect/blobs/" + digest).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode(), "HEAD is answered by the registry");
        } finally {
            redirecting.close();
        }
    }

    @AfterAll
    static void stopFake() {
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void blobsLandInRegistry2sLayoutUnderTheRootDirectory() throws Exception {
        assertInstanceOf(GcsDriver.class, server.registry().driver());
        byte[] blob = "a blob stored in GCS".getBytes(StandardCharsets.UTF_8);
        String hex = sha256(blob).substring("sha256:".length());
        HttpResponse<byte[]> pushed = send(request("/v2/gcs/layout/blobs/uploads/?digest=sha256:" + hex)
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)));
        assertEquals(201, pushed.statusCode(), new String(pushed.body(), StandardCharsets.UTF_8));
        String data = "flows/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
        assertArrayEquals(blob, fake.objectData("registry-flows", data).orElseThrow(), fake.objectNames("registry-flows").toString());
        assertTrue(fake.objectNames("registry-flows").contains(
                "flows/docker/registry/v2/repositories/gcs/layout/_layers/sha256/" + hex + "/link"));
    }

    /**
     * A monolithic push streams to the blob's own object in one resumable upload finished only
     * once the digest matched: no server-side rewrite or compose of the bytes, and a wrong digest
     * leaves no object behind.
     */
    @Test
    void monolithicPushesGoStraightToTheBlobsObject() throws Exception {
        byte[] blob = new byte[1024 * 1024 + 77]; // several 256 KiB resumable-upload requests
        new java.util.Random(11).nextBytes(blob);
        String hex = sha256(blob).substring("sha256:".length());
        long rewrites = fake.count("rewrite");
        long composes = fake.count("compose");
        HttpResponse<byte[]> pushed = send(request("/v2/gcs/direct/blobs/uploads/?digest=sha256:" + hex)
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)));
        assertEquals(201, pushed.statusCode(), new String(pushed.body(), StandardCharsets.UTF_8));
        assertEquals(rewrites, fake.count("rewrite"), "the blob was copied inside the bucket");
        assertEquals(composes, fake.count("compose"), "the blob was composed inside the bucket");
        String data = "flows/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
        assertArrayEquals(blob, fake.objectData("registry-flows", data).orElseThrow());

        byte[] other = blob.clone();
        other[0] ^= 1;
        String otherHex = sha256(other).substring("sha256:".length());
        HttpResponse<byte[]> refused = send(request("/v2/gcs/direct/blobs/uploads/?digest=sha256:" + hex)
                .POST(HttpRequest.BodyPublishers.ofByteArray(other)));
        assertEquals(400, refused.statusCode());
        assertTrue(new String(refused.body(), StandardCharsets.UTF_8).contains("DIGEST_INVALID"));
        assertArrayEquals(blob, fake.objectData("registry-flows", data).orElseThrow(), "the stored blob was touched");
        assertTrue(fake.objectNames("registry-flows").stream().noneMatch(name -> name.contains(otherHex)));
        assertTrue(fake.objectNames("registry-flows").stream().noneMatch(name -> name.contains("/_uploads/")),
                fake.objectNames("registry-flows").toString());
    }

    /** With redirects off, pulls are relayed from the store's signed URLs, not read through the SDK. */
    @Test
    void pullsAreRelayedFromSignedUrls() throws Exception {
        RelayedPulls.assertRelayed(config(gcsConfig, true));
    }
}

package dev.registry.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.GcsConfig;
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
 * 256 KiB chunk size (so chunked uploads span several resumable-upload requests and compose).
 */
class GcsRegistryServerTest extends RegistryServerTest {
    private static FakeGcsServer fake;

    @BeforeAll
    static void start() throws Exception {
        fake = FakeGcsServer.start();
        fake.requireCredentials();
        fake.createBucket("registry-flows");
        FakeGcsServer.ServiceAccount account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
        server = RegistryServer.start(TestServers.config(new GcsConfig("registry-flows", Optional.empty(),
                Optional.of(account.json()), "flows", GcsConfig.CHUNK_GRANULARITY, Optional.of(fake.endpoint())), true, 1000));
        base = "http://127.0.0.1:" + server.port();
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
}

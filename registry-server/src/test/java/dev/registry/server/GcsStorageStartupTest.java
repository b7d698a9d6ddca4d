package dev.registry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.ConfigException;
import dev.registry.config.GcsConfig;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.gcs.FakeGcsServer;
import dev.registry.storage.driver.gcs.GcsDriver;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening {@code storage.gcs}: where the endpoint and credentials come from, and one-sentence failures. */
class GcsStorageStartupTest {
    private static final int CHUNK = GcsConfig.CHUNK_GRANULARITY;
    private static FakeGcsServer fake;
    private static FakeGcsServer.ServiceAccount account;

    @TempDir
    Path dir;

    @BeforeAll
    static void startFake() throws Exception {
        fake = FakeGcsServer.start();
        fake.createBucket("startup");
        account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
    }

    @AfterAll
    static void stopFake() {
        fake.close();
    }

    private static GcsConfig config(String bucket, Optional<Path> keyFile, Optional<String> credentials, Optional<URI> endpoint) {
        return new GcsConfig(bucket, keyFile, credentials, "", CHUNK, endpoint);
    }

    /** As emulators are used: no endpoint key, no credentials, only STORAGE_EMULATOR_HOST (host:port). */
    @Test
    void storageEmulatorHostPointsAnAnonymousClientAtTheEmulator() throws Exception {
        String hostPort = fake.endpoint().getAuthority();
        StorageDriver driver = StorageDriverFactory.openGcs(config("startup", Optional.empty(), Optional.empty(),
                Optional.empty()), Map.of("STORAGE_EMULATOR_HOST", hostPort));
        assertInstanceOf(GcsDriver.class, driver);
        driver.putContent("/docker/registry/v2/x", new byte[]{1});
        assertTrue(fake.objectData("startup", "docker/registry/v2/x").isPresent());
        assertFalse(((GcsDriver) driver).canSign(), "no key, so no signed redirects");
    }

    @Test
    void keyFileIsReadAndUsedForSigning() throws Exception {
        Path key = Files.writeString(dir.resolve("key.json"), account.json());
        GcsDriver driver = (GcsDriver) StorageDriverFactory.openGcs(config("startup", Optional.of(key), Optional.empty(),
                Optional.of(fake.endpoint())), Map.of());
        assertTrue(driver.canSign());
    }

    @Test
    void missingBucketNamesTheBucketKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> StorageDriverFactory.openGcs(
                config("no-such-bucket", Optional.empty(), Optional.of(account.json()), Optional.of(fake.endpoint())), Map.of()));
        assertEquals("storage.gcs.bucket (REGISTRY_STORAGE_GCS_BUCKET) is at fault: the bucket 'no-such-bucket' does not "
                + "exist; name an existing bucket.", e.getMessage());
    }

    @Test
    void refusedCredentialsNameTheCredentialsKey() throws Exception {
        try (FakeGcsServer strict = FakeGcsServer.start()) {
            strict.createBucket("strict");
            strict.requireCredentials();
            String foreign = strict.untrustedServiceAccount("intruder@elsewhere.iam.gserviceaccount.com").json();
            ConfigException e = assertThrows(ConfigException.class, () -> StorageDriverFactory.openGcs(
                    config("strict", Optional.empty(), Optional.of(foreign), Optional.of(strict.endpoint())), Map.of()));
            assertTrue(e.getMessage().startsWith("storage.gcs.credentials (REGISTRY_STORAGE_GCS_CREDENTIALS) is at fault: "),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("(roles/storage.objectAdmin)."), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void unreachableEndpointNamesTheEndpointKey() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closed);
        ConfigException e = assertThrows(ConfigException.class, () -> StorageDriverFactory.openGcs(
                config("startup", Optional.empty(), Optional.of(account.json()), Optional.of(nowhere)), Map.of()));
        assertTrue(e.getMessage().startsWith("storage.gcs.endpoint (REGISTRY_STORAGE_GCS_ENDPOINT) is at fault: "
                + "Google Cloud Storage did not answer at " + nowhere), e.getMessage());
        ConfigException emulator = assertThrows(ConfigException.class, () -> StorageDriverFactory.openGcs(
                config("startup", Optional.empty(), Optional.empty(), Optional.empty()),
                Map.of("STORAGE_EMULATOR_HOST", nowhere.getAuthority())));
        assertTrue(emulator.getMessage().startsWith("STORAGE_EMULATOR_HOST is at fault: "), emulator.getMessage());
    }
}

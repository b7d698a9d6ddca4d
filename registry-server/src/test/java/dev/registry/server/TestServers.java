package dev.registry.server;

import dev.registry.config.AuthConfig;
import dev.registry.config.CatalogConfig;
import dev.registry.config.DriverConfig;
import dev.registry.config.DebugConfig;
import dev.registry.config.FilesystemConfig;
import dev.registry.config.HealthConfig;
import dev.registry.config.HttpConfig;
import dev.registry.config.LogConfig;
import dev.registry.config.NotificationsConfig;
import dev.registry.config.ProxyConfig;
import dev.registry.config.RegistryConfig;
import dev.registry.config.StorageConfig;
import dev.registry.config.TlsConfig;
import dev.registry.config.UploadPurgingConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** In-process registries on an ephemeral loopback port, for tests of the HTTP layer. */
final class TestServers {
    private TestServers() {
    }

    static RegistryConfig config(Path root, boolean deleteEnabled, int catalogMaxEntries) {
        return config(new FilesystemConfig(root), deleteEnabled, catalogMaxEntries);
    }

    static RegistryConfig config(DriverConfig driver, boolean deleteEnabled, int catalogMaxEntries) {
        return new RegistryConfig("0.1",
                new LogConfig("info", true),
                new HttpConfig("127.0.0.1", 0, "", "", false, "/", Map.of("X-Content-Type-Options", List.of("nosniff")),
                        TlsConfig.DISABLED, Duration.ZERO, HttpConfig.DEFAULT_HEADER_TIMEOUT, DebugConfig.DISABLED),
                new StorageConfig(driver, deleteEnabled,
                        new UploadPurgingConfig(false, Duration.ofHours(168), Duration.ofHours(24), false), false, false),
                new CatalogConfig(catalogMaxEntries),
                AuthConfig.NONE,
                HealthConfig.DEFAULTS, NotificationsConfig.NONE, ProxyConfig.NONE);
    }

    /** {@link #config(DriverConfig, boolean, int)} with deletes on, 1,000 catalog entries, and {@code storage.redirect.disable} as given. */
    static RegistryConfig config(DriverConfig driver, boolean redirectDisabled) {
        RegistryConfig base = config(driver, true, 1000);
        StorageConfig storage = base.storage();
        return new RegistryConfig(base.version(), base.log(), base.http(),
                new StorageConfig(storage.driver(), storage.deleteEnabled(), storage.uploadPurging(), storage.readOnly(),
                        redirectDisabled),
                base.catalog(), base.auth(), base.health(), base.notifications(), base.proxy());
    }

    /** Pushes {@code blob} to {@code repository} in one {@code POST ?digest=} and returns its digest; fails unless it was created. */
    static String pushBlob(HttpClient http, String base, String repository, byte[] blob) throws Exception {
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        HttpResponse<byte[]> created = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repository
                        + "/blobs/uploads/?digest=" + digest)).POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(201, created.statusCode(), new String(created.body(), StandardCharsets.UTF_8));
        return digest;
    }

    static RegistryServer start(Path root) throws InterruptedException {
        return RegistryServer.start(config(root, true, 1000));
    }
}

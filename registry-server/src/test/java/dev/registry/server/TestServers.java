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

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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

    static RegistryServer start(Path root) throws InterruptedException {
        return RegistryServer.start(config(root, true, 1000));
    }
}

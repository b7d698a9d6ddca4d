package dev.registry.config;

import java.nio.file.Path;

/**
 * {@code storage.filesystem.*}.
 *
 * @param rootDirectory {@code rootdirectory} (default {@code ./data} when no configuration file
 *                      is given at all, {@code /var/lib/registry} as in {@code registry:2} otherwise)
 */
public record FilesystemConfig(Path rootDirectory) implements DriverConfig {
    @Override
    public String name() {
        return "filesystem";
    }
}

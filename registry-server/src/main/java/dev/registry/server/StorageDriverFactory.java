package dev.registry.server;

import dev.registry.config.ConfigException;
import dev.registry.config.DriverConfig;
import dev.registry.config.FilesystemConfig;
import dev.registry.config.InMemoryConfig;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the configured storage driver and checks that it can be used, or stops startup with one
 * sentence naming the setting at fault. One case per driver: a new driver adds a line to
 * {@link #open} and {@link #describe} (the switches are exhaustive over the sealed
 * {@link DriverConfig}, so the compiler points at both).
 */
final class StorageDriverFactory {
    private StorageDriverFactory() {
    }

    static StorageDriver open(DriverConfig config) {
        return switch (config) {
            case FilesystemConfig filesystem -> openFilesystem(filesystem);
            case InMemoryConfig inMemory -> new InMemoryDriver();
        };
    }

    /** Where the driver keeps the data, for the startup log. */
    static String describe(DriverConfig config) {
        return switch (config) {
            case FilesystemConfig filesystem -> "filesystem at " + filesystem.rootDirectory();
            case InMemoryConfig inMemory -> "inmemory, in this process's heap: EVERYTHING IS LOST ON RESTART "
                    + "(for throw-away registries and tests only)";
        };
    }

    private static StorageDriver openFilesystem(FilesystemConfig filesystem) {
        Path root = filesystem.rootDirectory();
        try {
            FilesystemDriver driver = new FilesystemDriver(root);
            Path probe = Files.createTempFile(driver.root(), ".write-probe-", "");
            Files.delete(probe);
            return driver;
        } catch (AccessDeniedException e) {
            throw new ConfigException("storage.filesystem.rootdirectory (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) '" + root
                    + "' is not writable: give a directory this process may write, or fix its permissions.");
        } catch (IOException e) {
            throw new ConfigException("storage.filesystem.rootdirectory (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) '" + root
                    + "' cannot be used (" + e.getMessage() + "): give a writable directory.");
        }
    }
}

package dev.registry.server;

import dev.registry.config.ConfigException;
import dev.registry.config.DriverConfig;
import dev.registry.config.FilesystemConfig;
import dev.registry.config.GcsConfig;
import dev.registry.config.InMemoryConfig;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import dev.registry.storage.driver.gcs.GcsDriver;
import dev.registry.storage.driver.gcs.GcsSettings;
import dev.registry.storage.driver.gcs.GcsStartupException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

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
            case GcsConfig gcs -> openGcs(gcs, System.getenv());
        };
    }

    /** Where the driver keeps the data, for the startup log. */
    static String describe(DriverConfig config) {
        return switch (config) {
            case FilesystemConfig filesystem -> "filesystem at " + filesystem.rootDirectory();
            case InMemoryConfig inMemory -> "inmemory, in this process's heap: EVERYTHING IS LOST ON RESTART "
                    + "(for throw-away registries and tests only)";
            case GcsConfig gcs -> "gcs bucket " + gcs.bucket()
                    + (gcs.rootDirectory().isEmpty() ? "" : " under " + gcs.rootDirectory() + "/")
                    + gcs.endpoint().map(uri -> " at " + uri).orElse("");
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

    private static final String GCS = "storage.gcs.";
    private static final String GCS_ENV = "REGISTRY_STORAGE_GCS_";

    /**
     * The endpoint is {@code endpoint}, else {@code STORAGE_EMULATOR_HOST} (the variable Google's
     * clients and emulators agree on, which also means "send no credentials" unless a key is
     * configured), else Google's.
     */
    static StorageDriver openGcs(GcsConfig gcs, Map<String, String> env) {
        Optional<String> key;
        try {
            key = gcs.keyFile().isPresent()
                    ? Optional.of(Files.readString(gcs.keyFile().get(), StandardCharsets.UTF_8))
                    : gcs.credentialsJson();
        } catch (IOException e) {
            throw new ConfigException(GCS + "keyfile (" + GCS_ENV + "KEYFILE) '" + gcs.keyFile().get()
                    + "' cannot be read (" + e.getMessage() + "): give a readable service-account JSON key file.");
        }
        Optional<URI> endpoint = gcs.endpoint();
        boolean emulator = false;
        String emulatorHost = env.get("STORAGE_EMULATOR_HOST");
        if (endpoint.isEmpty() && emulatorHost != null && !emulatorHost.isBlank()) {
            String host = emulatorHost.trim();
            try {
                endpoint = Optional.of(URI.create(host.contains("://") ? host : "http://" + host));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("STORAGE_EMULATOR_HOST is '" + emulatorHost
                        + "': give the emulator's host and port, such as 'localhost:4443', or unset it.");
            }
            emulator = true;
        }
        GcsSettings settings = new GcsSettings(gcs.bucket(), key, gcs.rootDirectory(), gcs.chunkSize(), endpoint,
                emulator && key.isEmpty());
        try {
            return GcsDriver.open(settings);
        } catch (GcsStartupException e) {
            String setting = switch (e.problem()) {
                case BUCKET -> GCS + "bucket (" + GCS_ENV + "BUCKET)";
                case CREDENTIALS -> gcs.keyFile().isPresent() ? GCS + "keyfile (" + GCS_ENV + "KEYFILE)"
                        : gcs.credentialsJson().isPresent() ? GCS + "credentials (" + GCS_ENV + "CREDENTIALS)"
                        : GCS + "keyfile (" + GCS_ENV + "KEYFILE), or the Application Default Credentials,";
                case ENDPOINT -> gcs.endpoint().isPresent() ? GCS + "endpoint (" + GCS_ENV + "ENDPOINT)"
                        : emulator ? "STORAGE_EMULATOR_HOST" : GCS + "endpoint (" + GCS_ENV + "ENDPOINT), or the network,";
            };
            String fix = switch (e.problem()) {
                case BUCKET -> "name an existing bucket";
                case CREDENTIALS -> "give a service-account key that may read and write the bucket "
                        + "(roles/storage.objectAdmin)";
                case ENDPOINT -> "give a URL where the GCS JSON API answers, or leave it out for Google's";
            };
            throw new ConfigException(setting + " is at fault: " + e.getMessage().replaceAll("\\s+", " ") + "; " + fix + ".");
        } catch (IOException e) {
            throw new ConfigException(GCS + "bucket (" + GCS_ENV + "BUCKET) '" + gcs.bucket()
                    + "' cannot be used (" + e.getMessage() + "): check the bucket, credentials and endpoint.");
        }
    }
}

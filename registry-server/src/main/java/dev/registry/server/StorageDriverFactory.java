package dev.registry.server;

import dev.registry.config.ConfigException;
import dev.registry.config.DriverConfig;
import dev.registry.config.FilesystemConfig;
import dev.registry.config.GcsConfig;
import dev.registry.config.InMemoryConfig;
import dev.registry.config.S3Config;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import dev.registry.storage.driver.gcs.GcsDriver;
import dev.registry.storage.driver.gcs.GcsSettings;
import dev.registry.storage.driver.gcs.GcsStartupException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import dev.registry.storage.driver.s3.S3BucketCheckException;
import dev.registry.storage.driver.s3.S3Driver;
import dev.registry.storage.driver.s3.S3Options;

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
public final class StorageDriverFactory {
    private StorageDriverFactory() {
    }

    public static StorageDriver open(DriverConfig config) {
        return switch (config) {
            case FilesystemConfig filesystem -> openFilesystem(filesystem);
            case InMemoryConfig inMemory -> new InMemoryDriver();
            case S3Config s3 -> openS3(s3);
            case GcsConfig gcs -> openGcs(gcs, System.getenv());
        };
    }

    /** Where the driver keeps the data, for the startup log. */
    public static String describe(DriverConfig config) {
        return switch (config) {
            case FilesystemConfig filesystem -> "filesystem at " + filesystem.rootDirectory();
            case InMemoryConfig inMemory -> "inmemory, in this process's heap: EVERYTHING IS LOST ON RESTART "
                    + "(for throw-away registries and tests only)";
            case S3Config s3 -> "s3 bucket '" + s3.bucket() + "' in " + s3.region()
                    + (s3.regionEndpoint() != null ? " at " + s3.regionEndpoint() : "")
                    + (s3.rootDirectory().isEmpty() ? "" : ", rootdirectory '" + s3.rootDirectory() + "'")
                    + (s3.accessKey() != null ? ", static credentials" : ", AWS default credential chain");
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

    /**
     * Opens the S3 driver and checks the bucket: it must exist, accept the credentials and take a
     * test write, or startup stops naming the key to fix.
     */
    private static StorageDriver openS3(S3Config s3) {
        S3Driver driver = new S3Driver(new S3Options(s3.accessKey(), s3.secretKey(), s3.sessionToken(), s3.region(),
                s3.regionEndpoint(), s3.forcePathStyle(), s3.bucket(), s3.rootDirectory(), s3.encrypt(), s3.keyId(),
                s3.secure(), s3.skipVerify(), s3.chunkSize(), s3.multipartCopyChunkSize(),
                s3.multipartCopyMaxConcurrency(), s3.multipartCopyThresholdSize(), s3.storageClass(),
                s3.useDualStack(), s3.logRequests()));
        try {
            driver.checkBucket();
            return driver;
        } catch (S3BucketCheckException e) {
            driver.close();
            throw new ConfigException(switch (e.problem()) {
                case NO_SUCH_BUCKET -> "storage.s3.bucket (REGISTRY_STORAGE_S3_BUCKET): " + e.getMessage()
                        + ": create the bucket or correct the name.";
                case ACCESS_DENIED -> "storage.s3.accesskey and storage.s3.secretkey (REGISTRY_STORAGE_S3_ACCESSKEY, "
                        + "REGISTRY_STORAGE_S3_SECRETKEY): " + e.getMessage()
                        + ": give keys that may read and write the bucket (or fix the credentials the default chain finds).";
                case NO_CREDENTIALS -> "storage.s3.accesskey and storage.s3.secretkey (REGISTRY_STORAGE_S3_ACCESSKEY, "
                        + "REGISTRY_STORAGE_S3_SECRETKEY) are not set and " + e.getMessage()
                        + ": give keys, or provide credentials to the default chain (environment, profile, web identity, instance role).";
                case WRONG_REGION -> "storage.s3.region (REGISTRY_STORAGE_S3_REGION) is '" + s3.region() + "' but the "
                        + e.getMessage() + ": set the bucket's region.";
                case UNREACHABLE -> (s3.regionEndpoint() != null
                        ? "storage.s3.regionendpoint (REGISTRY_STORAGE_S3_REGIONENDPOINT): "
                        : "storage.s3.region (REGISTRY_STORAGE_S3_REGION): ") + e.getMessage()
                        + ": check the endpoint's address, scheme (storage.s3.secure) and the network.";
                case NOT_WRITABLE -> "storage.s3.bucket (REGISTRY_STORAGE_S3_BUCKET): " + e.getMessage()
                        + ": give credentials that may write (s3:PutObject and s3:DeleteObject) under storage.s3.rootdirectory.";
            });
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

package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Binds and checks {@code storage.*}, including the choice of exactly one driver. */
final class StorageBinder {
    private static final ConfigKey STORAGE = ConfigKey.ROOT.child("storage");
    private static final ConfigKey FILESYSTEM = STORAGE.child("filesystem");
    private static final ConfigKey MAINTENANCE = STORAGE.child("maintenance");
    private static final ConfigKey PURGING = MAINTENANCE.child("uploadpurging");
    private static final ConfigKey GARBAGE_COLLECT = MAINTENANCE.child("garbagecollect");
    /** registry:2 drivers that this server does not implement yet. */
    private static final Set<String> UNSUPPORTED_DRIVERS = Set.of("azure", "swift", "oss");
    private static final String EXAMPLE = "'storage: {filesystem: {rootdirectory: /var/lib/registry}}'";

    private StorageBinder() {
    }

    /**
     * @param source      what was read, for the message when storage is missing altogether
     * @param defaultRoot the root directory when {@code rootdirectory} is not given
     */
    static StorageConfig bind(JsonNode storage, String source, Path defaultRoot) {
        if (Values.isAbsent(storage)) {
            throw STORAGE.problem("is missing from " + source
                    + ": registry:2 requires a storage driver, so add one such as " + EXAMPLE);
        }
        Values.section(STORAGE, storage);
        JsonNode maintenance = Values.section(MAINTENANCE, Values.field(storage, "maintenance"));
        JsonNode readOnly = Values.section(MAINTENANCE.child("readonly"), Values.field(maintenance, "readonly"));
        JsonNode delete = Values.section(STORAGE.child("delete"), Values.field(storage, "delete"));
        JsonNode redirect = Values.section(STORAGE.child("redirect"), Values.field(storage, "redirect"));
        return new StorageConfig(
                driver(storage, defaultRoot),
                Values.bool(STORAGE.child("delete").child("enabled"), Values.field(delete, "enabled"), false),
                uploadPurging(Values.field(maintenance, "uploadpurging")),
                Values.bool(MAINTENANCE.child("readonly").child("enabled"), Values.field(readOnly, "enabled"), false),
                Values.bool(STORAGE.child("redirect").child("disable"), Values.field(redirect, "disable"), false),
                garbageCollect(Values.field(maintenance, "garbagecollect")));
    }

    private static DriverConfig driver(JsonNode storage, Path defaultRoot) {
        List<String> drivers = StorageDrivers.driversIn(storage);
        if (drivers.isEmpty()) {
            throw STORAGE.problem("names no storage driver: add one such as " + EXAMPLE);
        }
        if (drivers.size() > 1) {
            throw STORAGE.problem("configures more than one storage driver (" + String.join(", ", drivers)
                    + "): keep exactly one");
        }
        String name = drivers.get(0);
        if (UNSUPPORTED_DRIVERS.contains(name)) {
            throw STORAGE.child(name).problem("selects the '" + name
                    + "' storage driver, which is not supported yet: use storage.filesystem instead");
        }
        // one line per driver: each binds its own section
        return switch (name) {
            case "filesystem" -> filesystem(storage.get(name), defaultRoot);
            case "inmemory" -> inMemory(storage.get(name));
            case "s3" -> S3Binder.bind(storage.get(name));
            case "gcs" -> GcsBinder.bind(storage.get(name));
            default -> throw STORAGE.child(name).problem("names the unknown storage driver '" + name
                    + "': use storage.filesystem instead");
        };
    }

    private static FilesystemConfig filesystem(JsonNode section, Path defaultRoot) {
        JsonNode filesystem = Values.section(FILESYSTEM, section);
        return new FilesystemConfig(rootDirectory(Values.field(filesystem, "rootdirectory"), defaultRoot));
    }

    /** registry:2's in-memory driver has no parameters; any key under it is reported as unknown. */
    private static InMemoryConfig inMemory(JsonNode section) {
        Values.section(STORAGE.child("inmemory"), section);
        return new InMemoryConfig();
    }

    private static Path rootDirectory(JsonNode node, Path defaultRoot) {
        ConfigKey key = FILESYSTEM.child("rootdirectory");
        Optional<String> text = Values.string(key, node).map(String::trim);
        if (text.isEmpty()) {
            return defaultRoot.toAbsolutePath().normalize();
        }
        String fix = "give the directory to store the registry's data in, such as '/var/lib/registry'";
        if (text.get().isEmpty()) {
            throw key.invalid(node, fix);
        }
        try {
            return Path.of(text.get()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw key.invalid(node, fix);
        }
    }

    private static GarbageCollectConfig garbageCollect(JsonNode section) {
        Values.section(GARBAGE_COLLECT, section);
        GarbageCollectConfig defaults = GarbageCollectConfig.defaults();
        return new GarbageCollectConfig(
                Values.bool(GARBAGE_COLLECT.child("enabled"), Values.field(section, "enabled"), defaults.enabled()),
                Values.positiveDuration(GARBAGE_COLLECT.child("interval"), Values.field(section, "interval"), defaults.interval()),
                Values.positiveDuration(GARBAGE_COLLECT.child("graceperiod"), Values.field(section, "graceperiod"), defaults.gracePeriod()),
                Values.bool(GARBAGE_COLLECT.child("deleteuntagged"), Values.field(section, "deleteuntagged"), defaults.deleteUntagged()),
                Values.nonNegativeDuration(GARBAGE_COLLECT.child("cacheexpiry"), Values.field(section, "cacheexpiry"),
                        defaults.cacheExpiry()));
    }

    private static UploadPurgingConfig uploadPurging(JsonNode purging) {
        Values.section(PURGING, purging);
        UploadPurgingConfig defaults = UploadPurgingConfig.defaults();
        return new UploadPurgingConfig(
                Values.bool(PURGING.child("enabled"), Values.field(purging, "enabled"), defaults.enabled()),
                Values.positiveDuration(PURGING.child("age"), Values.field(purging, "age"), defaults.age()),
                Values.positiveDuration(PURGING.child("interval"), Values.field(purging, "interval"), defaults.interval()),
                Values.bool(PURGING.child("dryrun"), Values.field(purging, "dryrun"), defaults.dryRun()));
    }
}

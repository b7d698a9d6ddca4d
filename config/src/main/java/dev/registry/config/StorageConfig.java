package dev.registry.config;

/**
 * {@code storage.*}: the backend driver and the registry-wide storage behaviour.
 *
 * @param driver the one configured driver (exactly one of {@code filesystem}, ... may be given)
 * @param deleteEnabled {@code storage.delete.enabled} (default {@code false})
 * @param uploadPurging {@code storage.maintenance.uploadpurging}
 * @param readOnly {@code storage.maintenance.readonly.enabled} (default {@code false})
 * @param redirectDisabled {@code storage.redirect.disable} (default {@code false})
 * @param garbageCollect {@code storage.maintenance.garbagecollect} (off by default)
 */
public record StorageConfig(
        DriverConfig driver,
        boolean deleteEnabled,
        UploadPurgingConfig uploadPurging,
        boolean readOnly,
        boolean redirectDisabled,
        GarbageCollectConfig garbageCollect) {

    /** Without online garbage collection. */
    public StorageConfig(DriverConfig driver, boolean deleteEnabled, UploadPurgingConfig uploadPurging, boolean readOnly,
                         boolean redirectDisabled) {
        this(driver, deleteEnabled, uploadPurging, readOnly, redirectDisabled, GarbageCollectConfig.defaults());
    }
}

package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;

import java.time.Clock;
import java.time.Duration;

/**
 * The registry's storage-side services over one {@link StorageDriver}: the single place the
 * HTTP layer gets blobs, uploads, manifests, tags and the catalog from.
 */
public final class Registry {
    private final StorageDriver driver;
    private final BlobStore blobs;
    private final UploadService uploads;
    private final TagService tags;
    private final ManifestService manifests;
    private final CatalogService catalog;
    private final CachedRepositories cached;
    private final boolean deleteEnabled;

    public Registry(StorageDriver driver, boolean deleteEnabled, Clock clock) {
        this(driver, deleteEnabled, clock, null);
    }

    /**
     * @param collectionGracePeriod the online garbage collector's grace period when one runs on
     *                              this storage (from any replica), else null: requests then
     *                              refresh the links they rely on, see {@link GarbageCollector}
     */
    public Registry(StorageDriver driver, boolean deleteEnabled, Clock clock, Duration collectionGracePeriod) {
        this(driver, deleteEnabled, clock, collectionGracePeriod, Duration.ZERO);
    }

    /**
     * @param cacheExpiry the garbage collection's expiry of pull-through caches (zero: none), which
     *                    sets how often a pull records itself in a cache's marker
     */
    public Registry(StorageDriver driver, boolean deleteEnabled, Clock clock, Duration collectionGracePeriod,
                    Duration cacheExpiry) {
        this(driver, deleteEnabled, clock, collectionGracePeriod, cacheExpiry, false, false);
    }

    /**
     * @param uploadsOpenAtStart whether a new upload opens its writer at once, as registry:2's do,
     *                           so that registry:2 sharing the storage can continue it (see
     *                           {@link UploadService#UploadService(StorageDriver, BlobStore, Clock, boolean)})
     * @param remoteStore        whether each storage operation is a network round trip (an object
     *                           store), so that lookups a request needs are worth making at once
     *                           (see {@link BlobStore#BlobStore(StorageDriver, Clock, Duration, boolean)})
     */
    public Registry(StorageDriver driver, boolean deleteEnabled, Clock clock, Duration collectionGracePeriod,
                    Duration cacheExpiry, boolean uploadsOpenAtStart, boolean remoteStore) {
        this.driver = driver;
        this.deleteEnabled = deleteEnabled;
        this.blobs = new BlobStore(driver, clock,
                collectionGracePeriod == null ? null : collectionGracePeriod.dividedBy(GarbageCollector.REFRESH_FRACTION),
                remoteStore);
        this.uploads = new UploadService(driver, blobs, clock, uploadsOpenAtStart);
        this.tags = new TagService(driver);
        this.catalog = new CatalogService(driver, clock);
        this.manifests = new ManifestService(driver, blobs, tags, catalog, deleteEnabled);
        this.cached = new CachedRepositories(driver, CachedRepositories.recordIntervalFor(cacheExpiry));
    }

    public StorageDriver driver() {
        return driver;
    }

    public BlobStore blobs() {
        return blobs;
    }

    public UploadService uploads() {
        return uploads;
    }

    public TagService tags() {
        return tags;
    }

    public ManifestService manifests() {
        return manifests;
    }

    public CatalogService catalog() {
        return catalog;
    }

    /** The marks of repositories that cache an upstream's (the pull-through mirror). */
    public CachedRepositories cached() {
        return cached;
    }

    /** {@code storage.delete.enabled}: whether blobs and manifests may be deleted. */
    public boolean deleteEnabled() {
        return deleteEnabled;
    }
}

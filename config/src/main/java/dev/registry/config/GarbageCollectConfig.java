package dev.registry.config;

import java.time.Duration;

/**
 * {@code storage.maintenance.garbagecollect.*}: garbage collection while the registry serves
 * (registry:2 has only the offline {@code garbage-collect} command).
 *
 * @param enabled        default {@code false}
 * @param interval       how often a collection runs (default {@code 24h})
 * @param gracePeriod    nothing younger than this is collected (default {@code 1h})
 * @param deleteUntagged also delete manifests no tag reaches (default {@code false})
 * @param cacheExpiry    a pull-through mirror's cached repository that nobody pulled for this long is
 *                       removed, and its blobs with it (ours; default zero: cached content is kept)
 */
public record GarbageCollectConfig(boolean enabled, Duration interval, Duration gracePeriod, boolean deleteUntagged,
                                   Duration cacheExpiry) {
    /** Off; when turned on: every 24h, grace period 1h, untagged manifests and cached repositories kept. */
    public static GarbageCollectConfig defaults() {
        return new GarbageCollectConfig(false, Duration.ofHours(24), Duration.ofHours(1), false, Duration.ZERO);
    }

    /** The same collection without cache expiry (tests and callers that predate it). */
    public GarbageCollectConfig(boolean enabled, Duration interval, Duration gracePeriod, boolean deleteUntagged) {
        this(enabled, interval, gracePeriod, deleteUntagged, Duration.ZERO);
    }

    /** Whether cached repositories expire. */
    public boolean expiresCache() {
        return !cacheExpiry.isZero();
    }
}

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
 */
public record GarbageCollectConfig(boolean enabled, Duration interval, Duration gracePeriod, boolean deleteUntagged) {
    /** Off; when turned on: every 24h, grace period 1h, untagged manifests kept. */
    public static GarbageCollectConfig defaults() {
        return new GarbageCollectConfig(false, Duration.ofHours(24), Duration.ofHours(1), false);
    }
}

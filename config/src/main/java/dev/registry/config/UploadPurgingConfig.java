package dev.registry.config;

import java.time.Duration;

/**
 * {@code storage.maintenance.uploadpurging.*}: removal of upload sessions that were abandoned.
 *
 * @param enabled default {@code true}
 * @param age uploads older than this are removed (default {@code 168h})
 * @param interval how often the purge runs (default {@code 24h})
 * @param dryRun only log what would be removed (default {@code false})
 */
public record UploadPurgingConfig(boolean enabled, Duration age, Duration interval, boolean dryRun) {
    /** registry:2's defaults: enabled, age {@code 168h}, interval {@code 24h}, no dry run. */
    public static UploadPurgingConfig defaults() {
        return new UploadPurgingConfig(true, Duration.ofHours(168), Duration.ofHours(24), false);
    }
}

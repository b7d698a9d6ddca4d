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
}

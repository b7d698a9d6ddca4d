package dev.registry.config;

/** The configuration of one storage driver; which record it is names the driver. */
public sealed interface DriverConfig permits FilesystemConfig, InMemoryConfig, S3Config, GcsConfig {
    /** The driver's name as it appears under {@code storage:} ({@code filesystem}, ...). */
    String name();
}

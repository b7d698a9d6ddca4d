package dev.registry.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code storage.gcs.*}: Google Cloud Storage, with registry:2's keys plus {@code endpoint}.
 *
 * <p>Credentials come from {@code keyfile} or {@code credentials} (at most one of them); with
 * neither, from Application Default Credentials (workload identity on GKE, the metadata server,
 * {@code GOOGLE_APPLICATION_CREDENTIALS}). Without a service-account key the registry cannot sign
 * URLs, so blob pulls are served directly instead of redirected.
 *
 * @param bucket          {@code bucket}: the bucket's name (required)
 * @param keyFile         {@code keyfile}: a service-account JSON key file
 * @param credentialsJson {@code credentials}: the same JSON given inline (as a mapping or as JSON text)
 * @param rootDirectory   {@code rootdirectory}: the prefix under which everything is stored, without
 *                        leading or trailing {@code /}; empty for the bucket's root
 * @param chunkSize       {@code chunksize}: bytes per resumable upload request, and so the memory one
 *                        upload holds; a multiple of 256 KiB (default 16 MiB, as registry:2)
 * @param endpoint        {@code endpoint} (ours, not registry:2's): the JSON API's base URL, such as
 *                        an emulator's; empty for Google's
 */
public record GcsConfig(
        String bucket,
        Optional<Path> keyFile,
        Optional<String> credentialsJson,
        String rootDirectory,
        int chunkSize,
        Optional<URI> endpoint) implements DriverConfig {

    /** GCS accepts resumable-upload chunks only in multiples of this. */
    public static final int CHUNK_GRANULARITY = 256 * 1024;
    /** registry:2's default. */
    public static final int DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

    @Override
    public String name() {
        return "gcs";
    }
}

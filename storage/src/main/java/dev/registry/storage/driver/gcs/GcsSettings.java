package dev.registry.storage.driver.gcs;

import java.net.URI;
import java.util.Optional;

/**
 * What {@link GcsDriver} needs to reach its bucket; the registry builds it from {@code storage.gcs}.
 *
 * @param bucket          the bucket's name
 * @param credentialsJson a service-account key (JSON); empty for Application Default Credentials, or
 *                        for no credentials at all when {@code endpoint} points at an emulator
 * @param rootDirectory   the key prefix everything is stored under, without leading or trailing
 *                        {@code /}; empty for the bucket's root
 * @param chunkSize       bytes per resumable-upload request, a multiple of 256 KiB: the memory one
 *                        upload in progress holds
 * @param endpoint        the JSON API's base URL (an emulator's); empty for Google's
 * @param anonymous       send no credentials at all (an emulator); only without {@code credentialsJson}
 */
public record GcsSettings(
        String bucket,
        Optional<String> credentialsJson,
        String rootDirectory,
        int chunkSize,
        Optional<URI> endpoint,
        boolean anonymous) {

    /** GCS takes resumable-upload chunks in multiples of this. */
    public static final int CHUNK_GRANULARITY = 256 * 1024;

    public GcsSettings {
        if (chunkSize <= 0 || chunkSize % CHUNK_GRANULARITY != 0) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a positive multiple of 256 KiB");
        }
        if (anonymous && credentialsJson.isPresent()) {
            throw new IllegalArgumentException("anonymous access and a service-account key exclude each other");
        }
        if (rootDirectory.startsWith("/") || rootDirectory.endsWith("/")) {
            throw new IllegalArgumentException("root directory '" + rootDirectory + "' must not start or end with '/'");
        }
    }
}

package dev.registry.storage;

import java.time.Instant;

/**
 * The client-visible state of one blob upload.
 *
 * @param repository the repository the upload belongs to
 * @param uuid the upload's id, as in {@code Docker-Upload-UUID}
 * @param offset bytes received so far
 * @param startedAt when the upload began
 */
public record UploadSession(String repository, String uuid, long offset, Instant startedAt) {
}

package dev.registry.storage.driver;

import java.time.Instant;

/**
 * What {@link StorageDriver#stat} knows of a path.
 *
 * @param path the path asked about
 * @param size bytes of content; 0 for directories
 * @param modified last modification time
 * @param directory whether the path is a directory (a common prefix, for object stores)
 */
public record FileInfo(String path, long size, Instant modified, boolean directory) {
}

package dev.registry.storage;

import dev.registry.storage.driver.filesystem.FilesystemDriver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Every {@link ManifestServiceTest} case on a registry set up for a remote store, whose manifest
 * {@code PUT} looks its references up at once (see {@link BlobStore#statAll}): the same answers,
 * the same errors naming the same digest.
 */
class ManifestServiceConcurrentLookupsTest extends ManifestServiceTest {
    @Override
    Registry newRegistry(Path root) throws IOException {
        return new Registry(new FilesystemDriver(root), true, Clock.systemUTC(), null, Duration.ZERO, false, true);
    }
}

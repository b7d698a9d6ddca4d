package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@link ConcurrentChunkContract} for replicas sharing one directory (a shared volume). */
class FilesystemConcurrentChunkTest extends ConcurrentChunkContract {
    @TempDir
    Path root;

    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) throws IOException {
        List<StorageDriver> drivers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drivers.add(new FilesystemDriver(root));
        }
        return drivers;
    }
}

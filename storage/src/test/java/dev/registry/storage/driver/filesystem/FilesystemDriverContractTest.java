package dev.registry.storage.driver.filesystem;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The filesystem driver against the common driver contract (its own specifics are in {@link FilesystemDriverTest}). */
class FilesystemDriverContractTest extends StorageDriverContract {
    @TempDir
    Path temp;

    @Override
    protected StorageDriver newDriver() throws Exception {
        return new FilesystemDriver(temp.resolve("root"));
    }
}
